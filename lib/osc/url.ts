// Return URLs as SooperLooper clients give them: liblo's "osc.udp://host:port/". SooperLooper prefixes
// "osc.udp://" to a URL that lacks it (validate_returl in its control_osc.cpp), so "localhost:9952"
// works too. Other transports (tcp, unix sockets) are not served: such a URL gets no reply.

export interface ReturnAddress {
  /** as written: a name, an IPv4 address or an IPv6 address without brackets */
  host: string;
  port: number;
}

const UDP_PREFIX = 'osc.udp://';
const URL = /^osc\.udp:\/\/(?:\[([0-9A-Fa-f:.]+)\]|([A-Za-z0-9_.-]+)):(\d{1,5})(?:\/.*)?$/;

/** The host and port of a return URL, or null when it is not a UDP URL with a port in 1..65535. */
export function parseReturnUrl(url: string): ReturnAddress | null {
  const full = url.startsWith(UDP_PREFIX) || url.includes('://') ? url : UDP_PREFIX + url;
  const m = URL.exec(full);
  if (!m) return null;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return null;
  return { host: m[1] ?? m[2], port };
}

/** Our own URL for /ping answers, as liblo's lo_server_get_url writes it. */
export function serverUrl(host: string, port: number): string {
  return `${UDP_PREFIX}${host.includes(':') ? `[${host}]` : host}:${port}/`;
}
