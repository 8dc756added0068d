import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { createHash } from "node:crypto";

/**
 * Shell building blocks for the commands run on the hosts, and one way to run a generated script
 * there. Everything here but `remoteScript` is pure, so the scripts are snapshot-tested and
 * shellchecked as text.
 */

export const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** Single-quotes a word for POSIX shells. */
export function shellQuote(value: string): string {
    return `'${value.replace(/'/g, `'\\''`)}'`;
}

/** `sudo -n ` for a deploy user, nothing for root (Unraid has only root). */
export const sudoFor = (user: string): string => (user === "root" ? "" : "sudo -n ");

const heredoc = "HOMELAB_EOF";

/**
 * Defines `install_file PATH [MODE]`: writes stdin to PATH only when the content differs and sets
 * `changed=1` then, so units are reloaded only when they changed. No MODE keeps the file system's
 * default (Unraid's flash drive is FAT and refuses chmod).
 */
export const installFileFunction = `changed=0
install_file() {
    local path=$1 mode=\${2:-} tmp
    tmp=$(mktemp "$path.XXXXXX")
    cat >"$tmp"
    if [ -n "$mode" ]; then chmod "$mode" "$tmp"; fi
    if cmp -s "$tmp" "$path"; then
        rm -f "$tmp"
    else
        mv -f "$tmp" "$path"
        changed=1
    fi
}`;

/** One `install_file` call with the content inline (a quoted heredoc: nothing in it expands). */
export function installFile(path: string, content: string, mode?: string): string {
    const body = content.endsWith("\n") ? content : `${content}\n`;
    if (body.split("\n").includes(heredoc)) throw new Error(`${path}: content contains the line ${heredoc}`);
    const args = mode === undefined ? shellQuote(path) : `${shellQuote(path)} ${mode}`;
    return `install_file ${args} <<'${heredoc}'\n${body}${heredoc}`;
}

/**
 * The command line that runs the script arriving on stdin as root. The script is saved first and
 * then run, so nothing in it can swallow the rest of it from stdin.
 */
export function runStdinScript(user: string): string {
    return `script=$(mktemp) && trap 'rm -f "$script"' EXIT && cat >"$script" && ${sudoFor(user)}bash "$script"`;
}

/** Writes stdin to a root-only file (a secret env file), atomically. */
export function writeSecretFileCommand(user: string, path: string): string {
    const dir = path.slice(0, path.lastIndexOf("/")) || "/";
    const inner = `umask 077 && mkdir -p ${shellQuote(dir)} && cat >${shellQuote(`${path}.tmp`)} && mv -f ${shellQuote(`${path}.tmp`)} ${shellQuote(path)}`;
    return `${sudoFor(user)}sh -c ${shellQuote(inner)}`;
}

export interface SshConnection {
    host: string;
    user: string;
    privateKey: pulumi.Output<string>;
}

export interface RemoteScriptArgs {
    connection: SshConnection;
    /** The script, run as root; its hash is the trigger, so it re-runs exactly when the text changes. */
    script: string;
    /** Runs on delete (as the deploy user); nothing by default, so a delete never removes data. */
    delete?: string;
    /** A freshly created VM needs a while before SSH answers. */
    dialErrorLimit?: number;
}

/** A generated script run on a host over SSH. */
export function remoteScript(
    name: string,
    args: RemoteScriptArgs,
    opts?: pulumi.CustomResourceOptions,
): command.remote.Command {
    return new command.remote.Command(
        name,
        {
            connection: { ...args.connection, dialErrorLimit: args.dialErrorLimit ?? 10 },
            create: runStdinScript(args.connection.user),
            delete: args.delete,
            stdin: args.script,
            triggers: [sha256(args.script)],
        },
        opts,
    );
}
