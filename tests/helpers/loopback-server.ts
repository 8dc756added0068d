import type { Server } from "node:http";
import type { AddressInfo } from "node:net";

/** Starts a test's fake API server on a free port of 127.0.0.1: its URL and a close that does not wait for keep-alives. */
export async function listenOnLoopback(server: Server): Promise<{ url: string; close: () => Promise<void> }> {
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const { port } = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        close: () =>
            new Promise<void>((resolve) => {
                server.close(() => {
                    resolve();
                });
                // fetch keeps connections alive; without this, close waits for them to time out.
                server.closeAllConnections();
            }),
    };
}
