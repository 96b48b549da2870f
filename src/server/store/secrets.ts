import { codeOf, messageOf } from '../../utils/messageOf';
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';

/** The key file generated in the data dir when FP_SECRET_KEY is not set. */
export const SECRET_KEY_FILE = 'secret.key';

/** GCM's full authentication tag: what seal writes and open requires. */
const TAG_BYTES = 16;

/** A value encrypted with AES-256-GCM, as stored (base64 fields). */
export const sealedSchema = z.strictObject({
  sealed: z.literal('aes-256-gcm'),
  iv: z.string().min(1),
  tag: z.string().min(1),
  data: z.string(),
});
export type Sealed = z.infer<typeof sealedSchema>;

/** A secret that cannot be opened: the key is not the one it was sealed with, or the row was altered. */
export class SecretError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SecretError';
  }
}

/**
 * Seals secrets kept in the store (the Kubernetes token and CA) with a key that is never in the
 * database, so a copied database file or backup gives nothing away. `context` (the settings key)
 * is authenticated with the value, so a sealed value cannot be moved to another row.
 */
export class SecretBox {
  constructor(
    private readonly key: Buffer,
    /** Where the key came from, for messages (never the key). */
    readonly source: string
  ) {
    if (key.length !== 32) {
      throw new SecretError(`the secret key from ${source} is ${key.length} bytes; AES-256 needs 32`);
    }
  }

  seal(value: unknown, context: string): Sealed {
    const iv = randomBytes(12);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv, { authTagLength: TAG_BYTES });
    cipher.setAAD(Buffer.from(context));
    const data = Buffer.concat([cipher.update(JSON.stringify(value), 'utf8'), cipher.final()]);
    return {
      sealed: 'aes-256-gcm',
      iv: iv.toString('base64'),
      tag: cipher.getAuthTag().toString('base64'),
      data: data.toString('base64'),
    };
  }

  /** The value sealed under `context`; throws a SecretError saying what to do when it cannot be opened. */
  open(sealed: Sealed, context: string): unknown {
    try {
      // The tag's full 16 bytes: without authTagLength Node takes a tag cut to 4 bytes, and a cut prefix of the
      // real tag passes, so an altered row would need only 2^32 tries instead of 2^128.
      const decipher = createDecipheriv('aes-256-gcm', this.key, Buffer.from(sealed.iv, 'base64'), {
        authTagLength: TAG_BYTES,
      });
      decipher.setAAD(Buffer.from(context));
      decipher.setAuthTag(Buffer.from(sealed.tag, 'base64'));
      const plain = Buffer.concat([decipher.update(Buffer.from(sealed.data, 'base64')), decipher.final()]);
      return JSON.parse(plain.toString('utf8'));
    } catch {
      throw new SecretError(
        `the stored ${context} secrets cannot be decrypted with the key from ${this.source}: the key is not the one they were saved with (FP_SECRET_KEY changed, or ${SECRET_KEY_FILE} was replaced), or the row was altered`
      );
    }
  }
}

/**
 * The key from FP_SECRET_KEY (base64 of 32 bytes), else from `<dataDir>/secret.key`, generated
 * there (0600) on first start. A malformed FP_SECRET_KEY or key file is an error, never replaced:
 * replacing it would make every sealed secret unreadable.
 */
export function loadSecretBox(dataDir: string, env: NodeJS.ProcessEnv = process.env): SecretBox {
  const configured = env.FP_SECRET_KEY?.trim();
  if (configured) {
    return new SecretBox(decodeKey(configured, 'FP_SECRET_KEY'), 'FP_SECRET_KEY');
  }
  const file = join(dataDir, SECRET_KEY_FILE);
  let text: string | undefined;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    if (codeOf(err) !== 'ENOENT') {
      throw new SecretError(`cannot read the secret key ${file}: ${messageOf(err)}`);
    }
  }
  if (text === undefined) {
    const key = randomBytes(32);
    // wx: never overwrite a key another process has just written.
    writeFileSync(file, `${key.toString('base64')}\n`, { mode: 0o600, flag: 'wx' });
    return new SecretBox(key, `${file} (generated)`);
  }
  return new SecretBox(decodeKey(text.trim(), file), file);
}

function decodeKey(text: string, source: string): Buffer {
  const key = Buffer.from(text, 'base64');
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(text) || key.length !== 32) {
    throw new SecretError(
      `${source} must be 32 random bytes in base64 (e.g. the output of \`openssl rand -base64 32\`); it is ${key.length} bytes`
    );
  }
  return key;
}

/** For a database that is never written to disk (':memory:'): a key that lives as long as the process. */
export function ephemeralSecretBox(): SecretBox {
  return new SecretBox(randomBytes(32), 'a key kept in memory for an in-memory database');
}
