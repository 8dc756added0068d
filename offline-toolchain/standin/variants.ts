/**
 * The stand-in images that declare the catalog's image volumes (components/offline.ts,
 * standInVariants), one line each, for build.sh: `<image tag> <volume> <volume>...`.
 *   ts-node offline-toolchain/standin/variants.ts <stand-in tag>
 */
import { catalog } from "../../catalog";
import { standInVariants } from "../../components/offline";

const [standIn] = process.argv.slice(2);
if (standIn === undefined) throw new Error("usage: variants.ts <stand-in tag>");
for (const { image, volumes } of standInVariants(standIn, catalog)) {
    const spaced = volumes.find((volume) => /\s/.test(volume));
    if (spaced !== undefined) throw new Error(`variants.ts: the volume ${JSON.stringify(spaced)} has whitespace`);
    console.log([image, ...volumes].join(" "));
}
