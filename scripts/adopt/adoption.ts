/**
 * Adoption of a running homelab (hand-run compose stacks on existing VMs): the program's own
 * containers, networks and VMs (expected.ts) matched with what runs on each Docker engine
 * (inspect.ts) by container and network name, into three `pulumi import --file` documents
 * (documents.ts) and a report (report.ts).
 */
import { resolve, type ServiceEntry } from "../../catalog/types";
import type { Settings } from "../../config/schema";
import { vmHosts } from "../../hosts/problems";
import { vmImportId } from "../../hosts/proxmox";
import { ImportDocuments, type ImportFile, type ImportResource, type PluginVersions } from "./documents";
import type { ExpectedNetwork, ExpectedState } from "./expected";
import { containerName, type EngineSnapshot, type NetworkInspect } from "./inspect";
import { containerState, imageState, inputsOf } from "./provider-state";
import { vmChecks, type BlockingItem, type VmCheck } from "./qm";
import { adoptionReport } from "./report";
import { volumeBlocking } from "./volumes";

export interface QmConfigs {
    dir: string;
    texts: ReadonlyMap<number, string>;
}

export interface AdoptionInput {
    stack: string;
    /** The Pulumi project name (Pulumi.yaml), part of every URN. */
    project: string;
    settings: Settings;
    /** What the program registers for this stack (expected.ts). */
    expected: ExpectedState;
    /** The catalog: which env vars of a service are secrets, never copied from an engine. */
    services: readonly ServiceEntry[];
    engines: readonly EngineSnapshot[];
    plugins: PluginVersions;
    /**
     * The saved `qm config <vmid>` outputs by VM id, and the folder the owner saves them in (named
     * in the report). Absent: no VM was checked, and each adopted one is a blocking item.
     */
    qm?: QmConfigs;
}

export interface AdoptedContainer {
    container: string;
    resource: string;
    host: string;
    stack: string;
    imageMatches: boolean;
    composeProject?: string;
}

export interface Adoption {
    /** Imported first: the component resources the other files' resources are parented to. */
    components: ImportFile;
    /** The Proxmox provider and VMs; imported with protection on. */
    vms: ImportFile;
    /** The Docker providers, networks, images and containers; imported unprotected (see README). */
    docker: ImportFile;
    adopted: AdoptedContainer[];
    /** Containers of the program on a network that differs from it: recreated, not imported. */
    recreate: { container: string; host: string; networks: string[] }[];
    /** Running on an engine of the stack, but the program places no container of that name there. */
    unknown: { endpoint: string; container: string; image: string; running: boolean }[];
    /** Placed by the program, but no container of that name runs on the host's engine. */
    missing: { service: string; host: string }[];
    networks: { resource: string; network: string; found: boolean; differences: string[] }[];
    /** What must be settled before `pulumi up`: VMs that differ from their `vm` block or were not checked. */
    blocking: BlockingItem[];
    /** Each VM compared with its `qm config`, and the outcome (for the report's VM section). */
    vmChecks: VmCheck[];
    report: string;
}

/** Network properties the program would replace the network for (Docker cannot change them in place). */
function networkDifferences(found: NetworkInspect, wanted: ExpectedNetwork): string[] {
    const differences: string[] = [];
    const labels = Object.keys(found.Labels ?? {}).filter((label) => !wanted.labels.includes(label));
    if (labels.length > 0) {
        differences.push(`labels ${labels.join(", ")} (catalog: ${wanted.labels.join(", ") || "none"})`);
    }
    if (found.Driver !== wanted.driver) differences.push(`driver ${found.Driver} (catalog: ${wanted.driver})`);
    if (found.Internal !== wanted.internal)
        differences.push(`internal ${found.Internal} (catalog: ${wanted.internal})`);
    if (found.Attachable !== wanted.attachable) {
        differences.push(`attachable ${found.Attachable} (catalog: ${wanted.attachable})`);
    }
    return differences;
}

/** The catalog's secret env vars of the service whose container has this name: their values are never copied. */
function secretVariablesOf(container: string, input: AdoptionInput): string[] {
    const entry = input.services.find((service) => service.name === container);
    if (entry === undefined)
        throw new Error(`adopt: no catalog entry names container ${container}; its secrets are unknown`);
    return Object.keys(resolve(entry.secretEnv, input.settings, {}));
}

type DockerAdoption = Pick<Adoption, "networks" | "adopted" | "recreate" | "missing" | "unknown"> & {
    docker: ImportResource[];
};

/** The Docker file: each network and container of the program found on its engine, with its image and provider. */
function dockerAdoption(input: AdoptionInput, documents: ImportDocuments): DockerAdoption {
    const { expected } = input;
    const docker: ImportResource[] = [];
    const engineOf = (endpoint: string): EngineSnapshot | undefined =>
        input.engines.find((engine) => engine.endpoint === endpoint);
    const networks: Adoption["networks"] = [];
    // A differing network would be replaced, and Docker cannot: its name is taken and containers
    // use it. Neither it nor the containers on it are imported (see the report).
    const differing = new Set<string>();
    for (const wanted of expected.networks) {
        const found = engineOf(wanted.endpoint)?.networks.find((n) => n.Name === wanted.networkName);
        const differences = found === undefined ? [] : networkDifferences(found, wanted);
        networks.push({
            resource: wanted.resource.name,
            network: wanted.networkName,
            found: found !== undefined,
            differences,
        });
        if (found === undefined) continue;
        if (differences.length > 0) differing.add(`${wanted.endpoint}\0${wanted.networkName}`);
        else documents.add(docker, wanted.resource, { id: found.Id });
    }

    const adopted: AdoptedContainer[] = [];
    const recreate: Adoption["recreate"] = [];
    const missing: Adoption["missing"] = [];
    const matched = new Set<string>();
    for (const service of expected.services) {
        const engine = engineOf(service.endpoint);
        const container = engine?.containers.find((c) => containerName(c) === service.containerName);
        if (engine === undefined || container === undefined) {
            missing.push({ service: service.containerName, host: service.host });
            continue;
        }
        matched.add(`${service.endpoint}\0${container.Id}`);
        const blocking = Object.keys(container.NetworkSettings.Networks ?? {}).filter((network) =>
            differing.has(`${service.endpoint}\0${network}`),
        );
        if (blocking.length > 0) {
            recreate.push({ container: service.containerName, host: service.host, networks: blocking });
            continue;
        }
        const image = engine.images.find((i) => i.Id === container.Image);
        if (image !== undefined && service.image !== undefined) {
            const state = imageState(container.Config.Image, image);
            const inputs = { name: state.name, keepLocally: true };
            documents.add(docker, service.image, { id: String(state.id), inputs, outputs: state });
        }
        const state = containerState(container, image, secretVariablesOf(service.containerName, input));
        documents.add(docker, service.container, { id: container.Id, inputs: inputsOf(state), outputs: state });
        adopted.push({
            container: service.containerName,
            resource: service.container.name,
            host: service.host,
            stack: service.stack,
            imageMatches: container.Config.Image === service.imageReference,
            composeProject: container.Config.Labels?.["com.docker.compose.project"],
        });
    }
    const unknown = input.engines.flatMap((engine) =>
        engine.containers
            .filter((c) => !matched.has(`${engine.endpoint}\0${c.Id}`))
            .map((c) => ({
                endpoint: engine.endpoint,
                container: containerName(c),
                image: c.Config.Image,
                running: c.State.Running,
            })),
    );
    return { docker, networks, adopted, recreate, missing, unknown };
}

/**
 * The existing Proxmox VMs (`vm.adopt: true`), by the <node>/<vmid> in config (hosts/proxmox.ts):
 * the program's VM resource with that node and id. VMs with adopt false are the program's to create.
 */
function vmResources(settings: Settings, expected: ExpectedState, documents: ImportDocuments): ImportResource[] {
    const file: ImportResource[] = [];
    for (const { vm } of vmHosts(settings).filter((host) => host.vm.adopt)) {
        const wanted = expected.vms.find((candidate) => candidate.node === vm.node && candidate.vmId === vm.vmId);
        if (wanted === undefined) continue;
        // The provider's entry comes first, without its API token (plainInputs): the provider reads
        // it from PROXMOX_VE_API_TOKEN during the import; the first `pulumi up` stores the config's.
        documents.add(file, wanted.resource, { id: vmImportId(vm) });
    }
    return file;
}

export function adoption(input: AdoptionInput): Adoption {
    const target = { stack: input.stack, project: input.project };
    const documents = new ImportDocuments(target, input.plugins, input.expected.resources);
    const docker = dockerAdoption(input, documents);
    const vms = vmResources(input.settings, input.expected, documents);
    const checks = vmChecks(
        vmHosts(input.settings).map(({ name, vm }) => ({
            host: name,
            vm,
            adopt: vm.adopt,
            configFile: `Pulumi.${input.stack}.yaml`,
        })),
        input.qm ?? { dir: `.adopt/${input.stack}/qm`, texts: new Map() },
    );
    const result = {
        components: documents.componentFile(),
        vms: documents.file(vms),
        docker: documents.file(docker.docker),
        adopted: docker.adopted,
        recreate: docker.recreate,
        unknown: docker.unknown,
        missing: docker.missing,
        networks: docker.networks,
        blocking: [
            ...checks.blocking,
            ...volumeBlocking(input.expected.services, input.engines, input.services, input.settings),
        ],
        vmChecks: checks.checked,
    };
    return { ...result, report: adoptionReport(input.stack, result) };
}
