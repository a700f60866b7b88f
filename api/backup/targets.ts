// Where archives are kept: a local directory, or an S3-compatible bucket through the file
// service's S3 driver (api/files/storage.ts). BACKUP_TARGET is a path or s3://bucket/prefix; the
// bucket's endpoint, region and credentials are the S3_* settings the file service uses.
// Archives are made in a local staging directory and then moved to the target, so the database
// snapshot never waits on the network.
import { createReadStream } from 'node:fs';
import { mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Config } from '../config.ts';
import { type Storage, s3Storage } from '../files/storage.ts';
import { BACKUP_EXTENSION } from './service.ts';

export type StoredBackup = { name: string; school: string; created_at: Date; bytes: number };

export type BackupTarget = {
  kind: 'local' | 's3';
  /** For people: the directory or s3://bucket/prefix. */
  location: string;
  /** Where archives are made before they are stored (the directory itself when local). */
  staging: string;
  list(): Promise<StoredBackup[]>;
  /** Moves a finished archive from staging into the target; returns where it now is. */
  store(file: string): Promise<string>;
  remove(name: string): Promise<void>;
};

const NAME = /^(.+)-(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.edifybak$/;

/** `<slug>-<YYYYMMDDTHHMMSSZ>.edifybak` (api/backup/service.ts names them so) → school and time. */
export function parseBackupName(name: string): { school: string; created_at: Date } | undefined {
  const m = NAME.exec(name);
  if (!m) return undefined;
  const [, school, y, mo, d, h, mi, s] = m;
  return { school: school as string, created_at: new Date(`${y}-${mo}-${d}T${h}:${mi}:${s}Z`) };
}

export function backupTarget(spec: string, config: Pick<Config, 'backup' | 'dataDir'>, storage?: Storage): BackupTarget {
  if (spec.startsWith('s3://')) {
    const url = new URL(spec);
    const bucket = url.hostname;
    const prefix = url.pathname.replace(/^\/+/, '').replace(/\/*$/, '/').replace(/^\/$/, '');
    const s3 = config.backup.s3;
    const driver =
      storage ??
      s3Storage({
        bucket,
        endpoint: s3.endpoint,
        region: s3.region,
        accessKeyId: s3.accessKeyId,
        secretAccessKey: s3.secretAccessKey,
        forcePathStyle: s3.forcePathStyle,
      });
    const list = driver.list?.bind(driver);
    if (!list) throw new Error('this storage driver cannot list objects');
    const staging = path.join(config.dataDir, 'backups', '.staging');
    return {
      kind: 's3',
      location: `s3://${bucket}/${prefix}`,
      staging,
      async list() {
        const objects = await list(prefix);
        return objects.flatMap((o) => {
          const name = o.key.slice(prefix.length);
          const parsed = parseBackupName(name);
          return parsed && !name.includes('/') ? [{ name, ...parsed, bytes: o.size }] : [];
        });
      },
      async store(file) {
        const key = `${prefix}${path.basename(file)}`;
        await driver.put(key, createReadStream(file), 'application/octet-stream');
        await rm(file, { force: true });
        return `s3://${bucket}/${key}`;
      },
      remove: (name) => driver.remove(`${prefix}${name}`),
    };
  }
  const dir = path.resolve(spec);
  return {
    kind: 'local',
    location: dir,
    staging: dir,
    async list() {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw error;
      }
      const found: StoredBackup[] = [];
      for (const name of names.filter((n) => n.endsWith(BACKUP_EXTENSION))) {
        const parsed = parseBackupName(name);
        if (parsed) found.push({ name, ...parsed, bytes: (await stat(path.join(dir, name))).size });
      }
      return found;
    },
    async store(file) {
      const to = path.join(dir, path.basename(file));
      if (path.resolve(file) !== to) {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        await rename(file, to);
      }
      return to;
    },
    async remove(name) {
      if (!parseBackupName(name) || name.includes('/')) throw new Error('not a backup archive name');
      await rm(path.join(dir, name), { force: true });
    },
  };
}
