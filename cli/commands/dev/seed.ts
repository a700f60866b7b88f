import { Flags } from '@oclif/core';
import { SEED_DEFAULTS, seed } from '../../../bench/lib/seed.ts';
import { EdifyCommand } from '../../base.ts';

export default class DevSeed extends EdifyCommand {
  static override summary = 'Fill the database with generated schools, people, classes and enrollments (benchmarks, local load)';
  static override description = `Set-based SQL as the owner (needs a superuser or BYPASSRLS role): 10,000 schools take minutes.
Slugs are <prefix><6 digits>; the first school is --big-factor times larger. Everyone's password is --password.
Not for production databases: it refuses to run with NODE_ENV=production.`;
  static override flags = {
    schools: Flags.integer({ default: SEED_DEFAULTS.schools, min: 1 }),
    'students-per-school': Flags.integer({ default: SEED_DEFAULTS.studentsPerSchool, min: 0 }),
    'teachers-per-school': Flags.integer({ default: SEED_DEFAULTS.teachersPerSchool, min: 1 }),
    'classes-per-school': Flags.integer({ default: SEED_DEFAULTS.classesPerSchool, min: 1 }),
    'classes-per-student': Flags.integer({ default: SEED_DEFAULTS.classesPerStudent, min: 0 }),
    'big-factor': Flags.integer({ default: SEED_DEFAULTS.bigFactor, min: 1, description: 'the first school is this many times larger' }),
    password: Flags.string({ default: SEED_DEFAULTS.password }),
    prefix: Flags.string({ default: SEED_DEFAULTS.prefix, description: 'slug prefix (a lowercase letter or two)' }),
  };

  async run() {
    const { flags } = await this.parse(DevSeed);
    const config = this.loadConfig();
    if (config.env === 'production') this.error('dev:seed refuses to run with NODE_ENV=production.', { exit: 2 });
    if (!/^[a-z]{1,8}$/.test(flags.prefix)) this.error('--prefix must be 1–8 lowercase letters.', { exit: 2 });
    const dbs = await this.database(config);
    const report = await seed(
      dbs.owner,
      {
        schools: flags.schools,
        studentsPerSchool: flags['students-per-school'],
        teachersPerSchool: flags['teachers-per-school'],
        classesPerSchool: flags['classes-per-school'],
        classesPerStudent: flags['classes-per-student'],
        bigFactor: flags['big-factor'],
        password: flags.password,
        prefix: flags.prefix,
      },
      (line) => this.logToStderr(line),
    );
    this.log(
      `Seeded ${report.schools} schools, ${report.users} users, ${report.classes} classes, ${report.enrollments} enrollments in ${report.seconds.toFixed(1)} s (big school: ${report.bigSchool}).`,
    );
    return report;
  }
}
