# The one-line commands the remote commands run on a host (sh -c), by name. Generated: see tests/hosts/scripts.test.ts.

# run-stdin-script-deploy
script=$(mktemp) && trap 'rm -f "$script"' EXIT && cat >"$script" && sudo -n bash "$script"

# run-stdin-script-root
script=$(mktemp) && trap 'rm -f "$script"' EXIT && cat >"$script" && bash "$script"

# write-ping-url-deploy
sudo -n sh -c 'umask 077 && mkdir -p '\''/etc/homelab'\'' && cat >'\''/etc/homelab/appdata-backup.env.tmp'\'' && mv -f '\''/etc/homelab/appdata-backup.env.tmp'\'' '\''/etc/homelab/appdata-backup.env'\'''

# write-ping-url-root
sh -c 'umask 077 && mkdir -p '\''/boot/config/homelab'\'' && cat >'\''/boot/config/homelab/plex-backup.env.tmp'\'' && mv -f '\''/boot/config/homelab/plex-backup.env.tmp'\'' '\''/boot/config/homelab/plex-backup.env'\'''

# write-zfs-ping-url-root
sh -c 'umask 077 && mkdir -p '\''/boot/config/homelab'\'' && cat >'\''/boot/config/homelab/zfs-snapshots.env.tmp'\'' && mv -f '\''/boot/config/homelab/zfs-snapshots.env.tmp'\'' '\''/boot/config/homelab/zfs-snapshots.env'\'''

# remove-appdata-backup
sudo -n systemctl disable --now homelab-appdata-backup.timer || true && sudo -n rm -f /usr/local/sbin/homelab-appdata-backup /etc/systemd/system/homelab-appdata-backup.service /etc/systemd/system/homelab-appdata-backup.timer && sudo -n systemctl daemon-reload

# remove-plex-backup
rm -f '/boot/config/plugins/dynamix/homelab-plex-backup.cron' '/boot/config/homelab/plex-backup.sh' && /usr/local/sbin/update_cron

# remove-zfs-snapshots
rm -f '/boot/config/plugins/dynamix/homelab-zfs-snapshots.cron' '/boot/config/homelab/zfs-snapshots.sh' && /usr/local/sbin/update_cron
