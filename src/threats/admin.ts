// src/threats/admin.ts — the administrator's threat settings: the local allow list of threat
// names (`mdatp threat allowed add|remove|list`) and the per-type policy
// (`mdatp threat policy set --type T --action A`). The policy is a local setting: it goes
// through ConfigService and respects the managed file (threatTypeSettingsMergePolicy
// admin_only refuses all local changes; in `merge`, a type the managed file sets wins and a
// local change to it is refused rather than silently ignored).
// Owns these rules. Must not: touch files or quarantine.
import type { ConfigService } from '../config/service.js';
import type { ThreatAction as TypeAction } from '../config/settings.js';
import type { SettingsStore } from '../store/settings.js';
import { WdavError } from '../shared/errors.js';
import type { ThreatRow } from '../store/threats.js';
import type { AllowList } from './allow-list.js';
import type { ThreatEvents } from './events.js';
import type { Actor } from './types.js';
import { allowedView, type AllowedView } from './views.js';

/** What these operations need of the threat service (ThreatService is one), named here so this
 * module does not import service.ts, which builds it. */
export interface AdminHost {
  readonly allow: Pick<AllowList, 'list' | 'add' | 'remove'>;
  readonly events: Pick<ThreatEvents, 'emit'>;
  refuseIfDisallowed(action: 'allow' | 'restore', t: ThreatRow | null, actor: Actor, name?: string): void;
}

export const POLICY_TYPES = ['potentially_unwanted_application', 'archive_bomb'] as const;
export type PolicyType = (typeof POLICY_TYPES)[number];
export const POLICY_ACTIONS: readonly TypeAction[] = ['audit', 'block', 'off'];

const SHA256 = /^[0-9a-fA-F]{64}$/;

export class ThreatAdmin {
  constructor(
    private readonly svc: AdminHost,
    private readonly config: Pick<ConfigService, 'settings' | 'setLocal' | 'isManaged' | 'refresh'>,
    private readonly local: Pick<SettingsStore, 'all' | 'set' | 'delete'>,
  ) {}

  allowedList(): AllowedView {
    return allowedView(this.config.settings.allowedThreats, this.config.isManaged('allowedThreats'), this.svc.allow.list());
  }

  allowAdd(name: string, actor: Actor): AllowedView {
    const n = checkName(name);
    this.svc.refuseIfDisallowed('allow', null, actor, n);
    if (this.config.settings.allowedThreats.includes(n) || !this.svc.allow.add('name', n, actor === null ? null : `added by uid ${actor}`)) {
      throw new WdavError('WDAV_ERR_ALREADY_EXISTS', `Threat ${JSON.stringify(n)} is already allowed`);
    }
    this.svc.events.emit('threat_allowed_added', 'allow', 'success', { threatName: n, user: actor }, `threat allowed: ${n}`);
    return this.allowedList();
  }

  /** Removes a name, or a sha256 recorded by a restore. */
  allowRemove(value: string, actor: Actor): AllowedView {
    const v = checkName(value);
    const kind = SHA256.test(v) ? 'sha256' : 'name';
    if (!this.svc.allow.remove(kind, v)) {
      if (kind === 'name' && this.config.settings.allowedThreats.includes(v)) {
        throw new WdavError('WDAV_ERR_MANAGED_SETTING', `Threat ${JSON.stringify(v)} is allowed by the configuration (allowedThreats) and cannot be removed with mdatp`);
      }
      throw new WdavError('WDAV_ERR_NOT_FOUND', `Threat ${JSON.stringify(v)} is not on the local allow list`);
    }
    this.svc.events.emit('threat_allowed_removed', 'disallow', 'success', kind === 'name' ? { threatName: v, user: actor } : { sha256: v.toLowerCase(), user: actor }, `removed from the allow list: ${v}`);
    return this.allowedList();
  }

  setTypePolicy(type: string, action: string, actor: Actor): { type: PolicyType; action: TypeAction } {
    if (!(POLICY_TYPES as readonly string[]).includes(type)) throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', `--type must be one of ${POLICY_TYPES.join(', ')}; got ${JSON.stringify(type)}`);
    if (!POLICY_ACTIONS.includes(action as TypeAction)) throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', `--action must be one of ${POLICY_ACTIONS.join(', ')}; got ${JSON.stringify(action)}`);
    const t = type as PolicyType;
    const a = action as TypeAction;
    if (this.config.settings.threatTypeSettingsMergePolicy === 'admin_only') {
      this.refused(t, a, actor, 'threat type settings are managed by the administrator (threatTypeSettingsMergePolicy is admin_only)');
    }
    const before = this.local.all().get('threatTypeSettings') as Record<string, TypeAction> | undefined;
    const next = { ...(before ?? {}), [t]: a };
    if (!this.config.isManaged('threatTypeSettings')) {
      this.config.setLocal('threatTypeSettings', next);
    } else {
      // ConfigService refuses any local write to a managed id; in `merge` the types the managed
      // file does not set stay local, so write the local value and let it re-merge.
      this.local.set('threatTypeSettings', next);
      this.config.refresh();
      if (this.config.settings.threatTypeSettings[t] !== a) {
        if (before === undefined) this.local.delete('threatTypeSettings');
        else this.local.set('threatTypeSettings', before);
        this.config.refresh();
        this.refused(t, a, actor, `the managed configuration sets the action for ${t}`);
      }
    }
    this.svc.events.emit('threat_policy_changed', 'policy', 'success', { threatType: t, user: actor, policy: a }, `threat type policy set: ${t} → ${a}`);
    return { type: t, action: a };
  }

  private refused(type: string, action: string, actor: Actor, why: string): never {
    this.svc.events.emit('threat_action_refused', 'policy', 'refused', { threatType: type, user: actor, policy: action, reason: why }, `threat policy change refused: ${why}`);
    throw new WdavError('WDAV_ERR_MANAGED_SETTING', `Cannot set the policy for ${type}: ${why}`);
  }
}

function checkName(name: string): string {
  const n = typeof name === 'string' ? name.trim() : '';
  if (n.length === 0 || n.length > 1024) throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', '--name must be a threat name of 1 to 1024 characters');
  if (/[\u0000-\u001f\u007f]/.test(n)) throw new WdavError('WDAV_ERR_INVALID_ARGUMENT', '--name must not contain control characters');
  return n;
}
