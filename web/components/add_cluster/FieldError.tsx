// A form field's error line under the Add Cluster dialog's inputs (capitalised, with an icon).
import { Icon } from "../icons.tsx";

export function FieldError({ id, message }: { id: string; message: string | null }) {
  if (!message) return null;
  return (
    <p id={id} class="mt-1.5 flex items-start gap-1.5 text-sm text-red-600 dark:text-red-400">
      <Icon name="alert" class="mt-0.5 size-3.5" />
      <span>{message.charAt(0).toUpperCase() + message.slice(1)}</span>
    </p>
  );
}
