// Docker's default address pools (moby's libnetwork/ipamutils): 172.17.0.0/16
// to 172.31.0.0/16 as /16s, then 192.168.0.0/16 as /20s. A network made without
// --subnet takes the first one that overlaps no other network and no host route.
import { overlaps, parseSubnet, type Subnet } from './cidr';

export function defaultPools(): Subnet[] {
  const out: Subnet[] = [];
  for (let b = 17; b <= 31; b++) out.push(parseSubnet(`172.${b}.0.0/16`) as Subnet);
  for (let c = 0; c < 256; c += 16) out.push(parseSubnet(`192.168.${c}.0/20`) as Subnet);
  return out;
}

export function pickSubnet(taken: Subnet[]): Subnet | undefined {
  return defaultPools().find((p) => !taken.some((t) => overlaps(p, t)));
}
