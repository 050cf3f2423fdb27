/**
 * Authorization of the requests the local cloud receives: a request signed with the access key of
 * a role the {@link IamModel} knows is judged against that role's identity policies in force at
 * that moment; any other request (the cloud's default credentials, used by tests and the demo's
 * set-up) is not restricted.
 *
 * A service tells what a request needs to be allowed by its `ServiceModule.authorization`:
 * one or more {@link AuthorizationCheck}s (the action, the resource ARN the operation targets, the
 * condition keys), each with the error AWS answers when it is denied.
 *
 * @module
 */

import { createHash } from 'node:crypto';
import { ServiceError } from './errors';
import { AuthorizationRequest, accessDeniedMessage, IamModel, sessionArnOf } from './iam';

/** One permission a request needs, and how its denial is answered. */
export interface AuthorizationCheck {
  /** The action, resource and condition keys to authorize. */
  readonly request: AuthorizationRequest;
  /**
   * The error answered when denied, given IAM's message.
   * @defaultValue `AccessDeniedException` (HTTP 400)
   */
  readonly denied?: (message: string) => ServiceError;
}

/** The error of a denied request, as every JSON 1.1 service answers it. */
export function accessDenied(message: string): ServiceError {
  return new ServiceError('AccessDeniedException', message, { httpStatus: 400 });
}

/** The access key id of a SigV4 `Authorization` header (`… Credential=<AKID>/<date>/…`), if any. */
export function accessKeyIdOf(authorization: string | undefined): string | undefined {
  return authorization ? /Credential=([^/,\s]+)\//.exec(authorization)?.[1] : undefined;
}

/** The access key id the local cloud gives a role's sessions (deterministic, 20 characters, `ASIA…`). */
export function accessKeyIdForRole(roleArn: string): string {
  return `ASIA${createHash('sha256').update(roleArn).digest('hex').slice(0, 16).toUpperCase()}`;
}

/** Judges requests of known roles' access keys. */
export class Authorizer {
  /**
   * @param iam - the roles and their policies
   */
  constructor(private readonly iam: IamModel) {}

  /**
   * The error to answer, or `undefined` when the request is allowed (or not made by a known role).
   *
   * @param accessKeyId - the request's access key id
   * @param checks - the permissions the request needs (computed only for a known role)
   */
  public check(accessKeyId: string | undefined, checks: () => ReadonlyArray<AuthorizationCheck>): ServiceError | undefined {
    const roleArn = accessKeyId === undefined ? undefined : this.iam.roleOfAccessKey(accessKeyId);
    if (roleArn === undefined) return undefined;
    for (const check of checks()) {
      const decision = this.iam.authorize(roleArn, check.request);
      if (!decision.allowed) {
        const message = accessDeniedMessage(sessionArnOf(roleArn), check.request, decision);
        return (check.denied ?? accessDenied)(message);
      }
    }
    return undefined;
  }
}
