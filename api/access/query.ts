// Turns an ability into a SQL filter (CASL's rulesToAST, interpreted for knex), so a list and a
// single read obey the same rule. Each model declares how its rule fields map to SQL; a rule on
// a field without a mapping fails loudly rather than being ignored.
import { rulesToAST } from '@casl/ability/extra';
import type { Knex } from 'knex';
import type { Action, AppAbility, SubjectName } from './ability.ts';

type Operator = 'eq' | 'ne' | 'in' | 'nin';
export type FieldSql = (qb: Knex.QueryBuilder, operator: Operator, value: unknown) => void;
export type FieldMap = Record<string, FieldSql>;

type Node = { operator: string; field?: string; value: unknown };

/** A plain column: equality and membership. */
export function column(name: string): FieldSql {
  return (qb, operator, value) => {
    if (operator === 'eq') qb.where(name, value as Knex.Value);
    else if (operator === 'ne') qb.whereNot(name, value as Knex.Value);
    else if (operator === 'in') qb.whereIn(name, value as readonly Knex.Value[]);
    else qb.whereNotIn(name, value as readonly Knex.Value[]);
  };
}

/** A field true when a correlated subquery finds a row for the value (e.g. "taught by user X").
 * `sql` must contain exactly one `?` for the value. */
export function existsWhere(sql: string): FieldSql {
  return (qb, operator, value) => {
    if (operator !== 'eq') throw new Error(`existsWhere supports equality only, got ${operator}`);
    qb.whereRaw(`exists (${sql})`, [value as Knex.Value]);
  };
}

export function accessibleBy(ability: AppAbility, action: Action, subject: SubjectName, fields: FieldMap) {
  const ast = rulesToAST(ability, action, subject) as Node | null;
  // Typed loosely so it works as an Objection modifier as well as on a knex builder.
  // biome-ignore lint/suspicious/noExplicitAny: either builder is accepted
  return (qb: any) => {
    if (ast === null) (qb as Knex.QueryBuilder).whereRaw('false');
    else apply(qb as Knex.QueryBuilder, ast, fields);
  };
}

function apply(qb: Knex.QueryBuilder, node: Node, fields: FieldMap): void {
  switch (node.operator) {
    case 'and': {
      const children = node.value as Node[];
      if (children.length === 0) return;
      qb.where((sub) => {
        for (const child of children) sub.where((inner) => apply(inner, child, fields));
      });
      return;
    }
    case 'or':
      qb.where((sub) => {
        for (const child of node.value as Node[]) sub.orWhere((inner) => apply(inner, child, fields));
      });
      return;
    case 'not': {
      const [child] = node.value as Node[];
      if (child) qb.whereNot((sub) => apply(sub, child, fields));
      return;
    }
    case 'eq':
    case 'ne':
    case 'in':
    case 'nin': {
      const sql = node.field ? fields[node.field] : undefined;
      if (!sql) throw new Error(`No SQL mapping for rule field "${node.field}"`);
      sql(qb, node.operator, node.value);
      return;
    }
    default:
      throw new Error(`Unsupported rule operator "${node.operator}"`);
  }
}
