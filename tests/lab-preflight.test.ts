import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as http from "node:http";
import * as os from "node:os";
import * as path from "node:path";
import { catalog } from "../catalog";
import { imageRef } from "../catalog/types";
import { checkEngine, checkImages } from "../scripts/lab-preflight";
import { repoRoot, stackSettings } from "./helpers/program";

const services = catalog.filter((entry) => entry.enabled !== false);
const settings = stackSettings("lab");
const dir = fs.mkdtempSync(path.join(os.tmpdir(), "homelab-preflight-"));
afterAll(() => {
    fs.rmSync(dir, { recursive: true, force: true });
});

/** A fake Docker API on a unix socket: answers /_ping, knows `present` images, fails every pull. */
function fakeEngine(socket: string, present: ReadonlySet<string>, pulls: string[]): Promise<http.Server> {
    const server = http.createServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://docker");
        if (url.pathname === "/_ping") {
            res.end("OK");
        } else if (req.method === "GET" && url.pathname.startsWith("/images/")) {
            const name = decodeURIComponent(url.pathname.slice("/images/".length, -"/json".length));
            res.statusCode = present.has(name) ? 200 : 404;
            res.end(JSON.stringify(present.has(name) ? { Id: "sha256:1" } : { message: `No such image: ${name}` }));
        } else if (req.method === "POST" && url.pathname === "/images/create") {
            pulls.push(`${url.searchParams.get("fromImage")}:${url.searchParams.get("tag")}`);
            // Docker accepts the pull, then streams the failure.
            res.end(
                `{"status":"Pulling"}\n{"errorDetail":{"message":"no registry"},"error":"dial tcp: lookup registry: no such host"}\n`,
            );
        } else {
            res.statusCode = 404;
            res.end();
        }
    });
    return new Promise((resolve) =>
        server.listen(socket, () => {
            resolve(server);
        }),
    );
}

test("no engine: one message naming the socket, how to start one and DOCKER_HOST", async () => {
    await expect(checkEngine(`${dir}/absent.sock`)).rejects.toThrow(
        `no Docker engine answers at unix://${dir}/absent.sock (ENOENT); start one (sudo systemctl start docker) ` +
            "or set DOCKER_HOST=unix:///path/to/docker.sock to a running engine. Nothing was created.",
    );
});

test("an image that cannot be pulled is named, with HOMELAB_OFFLINE_IMAGE as the way out", async () => {
    const socket = `${dir}/fake.sock`;
    const traefik = services.find((entry) => entry.name === "traefik");
    const sonarr = services.find((entry) => entry.name === "sonarr");
    if (traefik === undefined || sonarr === undefined) throw new Error("catalog changed");
    const everyImageBut = new Set(
        services.map((entry) => imageRef(entry.image)).filter((image) => image !== imageRef(sonarr.image)),
    );
    const pulls: string[] = [];
    const server = await fakeEngine(socket, everyImageBut, pulls);
    try {
        await checkEngine(socket);
        const error = checkImages(socket, services, settings);
        await expect(error).rejects.toThrow(
            `cannot pull lscr.io/linuxserver/sonarr:${sonarr.image.tag} (dial tcp: lookup registry: no such host)`,
        );
        await expect(error).rejects.toThrow("HOMELAB_OFFLINE_IMAGE=homelab-standin:local");
        // Sonarr and Sonarr Anime share the image: one pull attempt.
        expect(pulls).toEqual([`lscr.io/linuxserver/sonarr:${sonarr.image.tag}`]);
    } finally {
        server.close();
    }
});

test("scripts/lab.sh up with no engine stops before Pulumi with that one line and creates no state", () => {
    const labDir = `${dir}/lab`;
    const run = spawnSync("bash", [path.join(repoRoot, "scripts/lab.sh"), "up"], {
        encoding: "utf8",
        env: { ...process.env, DOCKER_HOST: `unix://${dir}/absent.sock`, HOMELAB_LAB_DIR: labDir },
        timeout: 120000,
    });
    expect(run.status).toBe(1);
    expect(run.stderr.trim().split("\n")).toEqual([
        `homelab lab: no Docker engine answers at unix://${dir}/absent.sock (ENOENT); start one (sudo systemctl start docker) ` +
            "or set DOCKER_HOST=unix:///path/to/docker.sock to a running engine. Nothing was created.",
    ]);
    expect(fs.existsSync(`${labDir}/state`)).toBe(false);
});
