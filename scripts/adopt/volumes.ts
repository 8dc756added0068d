/**
 * The volumes each adopted container's image declares (`docker image inspect` Config.Volumes),
 * against the catalog's mounts: a declared path no mount covers is where the running service keeps
 * data in an anonymous volume today, outside every backup, and where it would start empty after the
 * program recreates it. Each one is a blocking item of the report.
 */
import { uncoveredVolumes } from "../../catalog/storage";
import type { ServiceEntry } from "../../catalog/types";
import type { Settings } from "../../config/schema";
import type { HostName } from "../../topology";
import type { ExpectedService } from "./expected";
import { containerName, type EngineSnapshot } from "./inspect";
import type { BlockingItem } from "./vm-differences";

export function volumeBlocking(
    services: readonly ExpectedService[],
    engines: readonly EngineSnapshot[],
    entries: readonly ServiceEntry[],
    settings: Settings,
): BlockingItem[] {
    return services.flatMap((service): BlockingItem[] => {
        const engine = engines.find((candidate) => candidate.endpoint === service.endpoint);
        const container = engine?.containers.find((c) => containerName(c) === service.containerName);
        const entry = entries.find((candidate) => candidate.name === service.containerName);
        if (engine === undefined || container === undefined || entry === undefined) return [];
        const image = engine.images.find((candidate) => candidate.Id === container.Image);
        const declared = Object.keys(image?.Config?.Volumes ?? {});
        return uncoveredVolumes(entry, settings, declared).map((path) => ({
            host: service.host as HostName,
            subject: `container ${service.containerName}`,
            what: `image volume ${path}`,
            configured: `no mount at ${path} in the catalog entry ${entry.name}`,
            real: `${container.Config.Image} declares VOLUME ${path}: its data is in an anonymous volume`,
            fix:
                `mount ${path} in ${entry.name}.mounts (catalog/stacks/${entry.stack}.ts) and record it in ` +
                `${entry.name}.storage.declaredVolumes; copy the volume's data into that host path ` +
                `(docker cp ${service.containerName}:${path} <host path>) before the first \`pulumi up\` recreates the container`,
        }));
    });
}
