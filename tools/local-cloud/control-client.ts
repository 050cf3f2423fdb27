/**
 * The control API over HTTP, for processes other than the one that started the local cloud
 * (a Lambda handler run in a child process, a demo script, …).
 *
 * @example
 * ```ts
 * const control = connectControl(process.env.LOCAL_CLOUD_ENDPOINT!);
 * await control.setDelays({ enablingMs: 200 });
 * const { accepted } = await control.calls('StartDeliveryStreamEncryption', 'orders');
 * ```
 *
 * @module
 */

import * as http from 'node:http';
import { CONTROL_METHODS, LocalCloudControl } from './control';
import { ControlError } from './errors';

/** The control API with every method returning a promise. */
export type RemoteControl = {
  [K in keyof LocalCloudControl]: (...args: Parameters<LocalCloudControl[K]>) => Promise<ReturnType<LocalCloudControl[K]>>;
};

/**
 * Calls one control method over HTTP.
 *
 * @param endpoint - the local cloud's endpoint, e.g. `http://127.0.0.1:4566`
 * @param method - the control method
 * @param args - its arguments (JSON-serializable)
 * @returns the method's result; `undefined` for methods that return nothing or found nothing
 * @throws ControlError when the local cloud refused the arguments; Error for transport failures
 */
export function callControl(endpoint: string, method: string, args: readonly unknown[]): Promise<unknown> {
  const url = new URL(`/__control/${encodeURIComponent(method)}`, endpoint);
  const payload = JSON.stringify(args);
  return new Promise((resolve, reject) => {
    const request = http.request(
      url,
      { method: 'POST', headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('error', reject);
        response.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let body: { result?: unknown; error?: { name?: string; message?: string } };
          try {
            body = JSON.parse(text) as typeof body;
          } catch {
            reject(new Error(`Local cloud control ${method}: HTTP ${response.statusCode} with a body that is not JSON: ${text.slice(0, 200)}`));
            return;
          }
          if (response.statusCode === 200) {
            resolve(body.result === null ? undefined : body.result);
          } else if (response.statusCode === 400 && body.error?.name === 'ControlError') {
            reject(new ControlError(body.error.message ?? 'ControlError'));
          } else {
            reject(new Error(`Local cloud control ${method}: HTTP ${response.statusCode} ${body.error?.name ?? ''}: ${body.error?.message ?? text}`));
          }
        });
      },
    );
    request.on('error', reject);
    request.end(payload);
  });
}

/**
 * A {@link RemoteControl} for the local cloud at `endpoint`.
 *
 * @param endpoint - the local cloud's endpoint (`LocalCloud.endpoint`)
 */
export function connectControl(endpoint: string): RemoteControl {
  const control: Partial<Record<keyof LocalCloudControl, (...args: unknown[]) => Promise<unknown>>> = {};
  for (const method of Object.keys(CONTROL_METHODS) as (keyof LocalCloudControl)[]) {
    control[method] = (...args: unknown[]) => callControl(endpoint, method, args);
  }
  return control as unknown as RemoteControl;
}
