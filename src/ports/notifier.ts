/** A message for on-call: subject, body and the attributes subscribers filter on. */
export interface Notification {
  subject: string;
  body: string;
  attributes: Readonly<Record<string, string>>;
  /** The same message for chat channels (JSON), when chat notifications are on: HTTPS subscribers get it. */
  chat?: string | undefined;
}

/** Sends on-call notifications (SNS in AWS). Throws when the message could not be accepted. */
export interface Notifier {
  notify(notification: Notification): Promise<{ messageId?: string | undefined }>;
}
