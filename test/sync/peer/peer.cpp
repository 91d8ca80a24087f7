// A Link test peer for the interop tests and the bench: test code only, compiled by the test harness
// against the system's header-only Link library into the OS temp dir, never part of the package.
// Its clock is CLOCK_MONOTONIC, the clock Node's process.hrtime reads, so its times compare directly.
//
// One command a line on stdin; every answer is one line on stdout:
//   status              -> "status now=<us> tempo=<bpm> beat=<beats> phase=<phase> peers=<n> playing=<0|1>"
//   beatat <us>         -> "beatat time=<us> beat=<beats> phase=<phase>"
//   tempo <bpm>         -> set the session tempo now; "ok"
//   quantum <q>         -> "ok"
//   play | stop         -> start/stop at now (start/stop sync must be on); "ok"
//   startstop <0|1>     -> start/stop sync off/on; "ok"
//   enable <0|1>        -> leave / join the network; "ok"
//   quit
#include <ableton/Link.hpp>
#include <chrono>
#include <cstdio>
#include <iostream>
#include <sstream>
#include <string>

using Link = ableton::BasicLink<ableton::platforms::linux::ClockMonotonic>;

int main(int argc, char** argv)
{
  double quantum = 4;
  Link link(argc > 1 ? std::stod(argv[1]) : 120.0);
  link.enable(true);
  std::cout.setf(std::ios::fixed);
  std::cout.precision(6);
  std::cout << "ready" << std::endl;
  std::string line;
  while (std::getline(std::cin, line))
  {
    std::istringstream in(line);
    std::string cmd;
    in >> cmd;
    const auto now = link.clock().micros();
    if (cmd == "status")
    {
      const auto s = link.captureAppSessionState();
      std::cout << "status now=" << now.count() << " tempo=" << s.tempo()
                << " beat=" << s.beatAtTime(now, quantum)
                << " phase=" << s.phaseAtTime(now, quantum) << " peers=" << link.numPeers()
                << " playing=" << (s.isPlaying() ? 1 : 0) << std::endl;
    }
    else if (cmd == "beatat")
    {
      long long t = 0;
      in >> t;
      const auto s = link.captureAppSessionState();
      const auto at = std::chrono::microseconds(t);
      std::cout << "beatat time=" << t << " beat=" << s.beatAtTime(at, quantum)
                << " phase=" << s.phaseAtTime(at, quantum) << std::endl;
    }
    else if (cmd == "tempo")
    {
      double bpm = 120;
      in >> bpm;
      auto s = link.captureAppSessionState();
      s.setTempo(bpm, now);
      link.commitAppSessionState(s);
      std::cout << "ok" << std::endl;
    }
    else if (cmd == "quantum")
    {
      in >> quantum;
      std::cout << "ok" << std::endl;
    }
    else if (cmd == "play" || cmd == "stop")
    {
      auto s = link.captureAppSessionState();
      s.setIsPlaying(cmd == "play", now);
      link.commitAppSessionState(s);
      std::cout << "ok" << std::endl;
    }
    else if (cmd == "startstop")
    {
      int on = 0;
      in >> on;
      link.enableStartStopSync(on != 0);
      std::cout << "ok" << std::endl;
    }
    else if (cmd == "enable")
    {
      int on = 0;
      in >> on;
      link.enable(on != 0);
      std::cout << "ok" << std::endl;
    }
    else if (cmd == "quit")
    {
      break;
    }
    else
    {
      std::cout << "error unknown command" << std::endl;
    }
  }
  link.enable(false);
  return 0;
}
