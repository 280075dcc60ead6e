export { recordAudit, queryAudit, type AuditEntry, type AuditEvent, type AuditQuery, type AuditTargetType } from './audit-log.js';
