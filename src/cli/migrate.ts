/** `npm run migrate`: applies pending warehouse migrations. */
import { config } from '../config';
import { ValidationError } from '../shared/errors';
import { migrate } from '../warehouse/migrate';

export async function migrateCommand(args: string[]): Promise<number> {
  if (args.length) throw new ValidationError('migrate arguments', args.join(' '), 'migrate takes no arguments');
  const applied = await migrate(config().postgres.migrateUrl);
  console.log(applied.length ? `applied ${applied.join(', ')}` : 'migrations are up to date');
  return 0;
}
