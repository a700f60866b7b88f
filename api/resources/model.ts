import { Model } from 'objection';
import type { FieldSql } from '../access/query.ts';
import { classMemberFields } from '../classes/model.ts';
import type { Attachment } from '../content/attachments.ts';

export type ResourceKind = 'link' | 'file';

export class ResourceTopic extends Model {
  static override tableName = 'resource_topics';
  declare tenant_id: string;
  declare id: string;
  declare class_id: string;
  declare title: string;
  declare position: number;
  declare created_by: string | null;
  declare created_at: Date;
  declare updated_at: Date;
}

export class Resource extends Model {
  static override tableName = 'resources';
  declare tenant_id: string;
  declare id: string;
  declare class_id: string;
  declare topic_id: string | null;
  declare title: string;
  declare description: string | null;
  declare kind: ResourceKind;
  /** Links only. */
  declare url: string | null;
  /** Files only: an uploaded file or a link reference (api/content/attachments.ts). */
  declare attachment: Attachment | null;
  declare position: number;
  declare created_by: string | null;
  declare created_at: Date;
  declare updated_at: Date;
}

/** SQL for the rule fields in api/resources/rules.ts, on resources rows. */
export const RESOURCE_FIELDS = classMemberFields('resources');
/** The resource rule fields; the topic and on-class maps below are typed to the same keys. */
export type ResourceField = keyof typeof RESOURCE_FIELDS;

/** The same rules read on a topic: a topic is managed and seen exactly like its class's resources. */
export const TOPIC_FIELDS: Record<ResourceField, FieldSql> = classMemberFields('resource_topics');

/** The same rules read on a class: "may this person add a resource to class X?" before the
 * resource exists. */
export const RESOURCE_FIELDS_ON_CLASS: Record<ResourceField, FieldSql> = classMemberFields('classes', 'classes.id');
