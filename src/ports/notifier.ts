/** A message for on-call: subject, body and the attributes subscribers filter on. */
export interface Notification {
  subject: string;
  body: string;
  attributes: Readonly<Record<string, string>>;
}

/** Sends on-call notifications (SNS in AWS). Throws when the message could not be accepted. */
export interface Notifier {
  notify(notification: Notification): Promise<{ messageId?: string | undefined }>;
}
