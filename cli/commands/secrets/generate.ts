import { newEncryptionKey, newSigningSecret } from '../../../api/config.ts';
import { EdifyCommand } from '../../base.ts';

export default class SecretsGenerate extends EdifyCommand {
  static override summary = 'Print fresh values for EDIFY_SECRET and EDIFY_ENCRYPTION_KEY';
  static override description = `Nothing is stored: put the values in your secret manager.
To rotate the signing secret, set the new value as EDIFY_SECRET and move the old one to EDIFY_SECRET_PREVIOUS until its tokens have expired (15 minutes).
To rotate the encryption key, put the new key first in EDIFY_ENCRYPTION_KEY and keep the old one after a comma: old values still decrypt.`;

  async run() {
    const values = { EDIFY_SECRET: newSigningSecret(), EDIFY_ENCRYPTION_KEY: newEncryptionKey() };
    for (const [name, value] of Object.entries(values)) this.log(`${name}=${value}`);
    return values;
  }
}
