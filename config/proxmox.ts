import { z } from "zod";

/**
 * Config for the Proxmox VMs, the host bootstrap and the Tier 1 backups
 * (`homelab:proxmox`, `homelab:backups`, `homelab:hosts.<vm host>.vm`). Absent in the lab.
 */

export const vmSchema = z.strictObject({});

export const proxmoxSchema = z.strictObject({});

export const backupsSchema = z.strictObject({});

export type VmSettings = z.infer<typeof vmSchema>;
export type ProxmoxSettings = z.infer<typeof proxmoxSchema>;
export type BackupSettings = z.infer<typeof backupsSchema>;
