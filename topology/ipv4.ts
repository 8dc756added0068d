/** IPv4 arithmetic for the checks on addresses and subnets (hosts, cluster nodes, the tunnel network). */

/** An IPv4 address as a number. */
export function ipv4Number(address: string): number {
    return address.split(".").reduce((value, octet) => value * 256 + Number(octet), 0);
}

/** The first and last address of an IPv4 CIDR (a bare address is a /32), as numbers. */
export function ipv4Range(cidr: string): [number, number] {
    const [base = "", bits = "32"] = cidr.split("/");
    const size = 2 ** (32 - Number(bits));
    const first = ipv4Number(base) - (ipv4Number(base) % size);
    return [first, first + size - 1];
}

/** Whether two CIDRs (or addresses) share an address. */
export function ipv4Overlap(a: string, b: string): boolean {
    const [aFirst, aLast] = ipv4Range(a);
    const [bFirst, bLast] = ipv4Range(b);
    return aFirst <= bLast && bFirst <= aLast;
}
