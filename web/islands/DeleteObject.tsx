// The object page's Delete button, with confirmation. `access` is whether the person may delete
// (web/routes/permissions.ts): when not, the button stays in its place, disabled, the reason its
// hover text.
import { useState } from "preact/hooks";
import { Icon } from "../components/icons.tsx";
import { ConfirmDialog } from "../components/dialog.tsx";
import { btn } from "../components/ui.tsx";
import { api } from "../client/api.ts";
import { objectPath, proxyBase, type ResourceRef } from "../lib/k8s/paths.ts";
import { type Access, controlProps } from "../lib/k8s/access_review.ts";

export default function DeleteObject(
  { clusterId, resource, namespace, name, listHref, access }: {
    clusterId: string;
    resource: ResourceRef;
    namespace: string | null;
    name: string;
    listHref: string;
    access: Access;
  },
) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        class={btn.dangerGhost}
        onClick={() => access.allowed && setOpen(true)}
        data-testid="delete-object"
        {...controlProps(access)}
      >
        <Icon name="trash" />
        Delete
      </button>
      <ConfirmDialog
        open={open}
        onClose={() => setOpen(false)}
        title={`Delete ${resource.kind} ${name}?`}
        confirmLabel="Delete"
        requireText={name}
        labelId="delete-object-title"
        onConfirm={async () => {
          await api(proxyBase(clusterId) + objectPath(resource, namespace, name), {
            method: "DELETE",
          });
          location.assign(listHref);
        }}
      >
        <p>
          This deletes{" "}
          <span class="font-mono font-semibold">{namespace ? `${namespace}/` : ""}{name}</span>{" "}
          from the cluster. It cannot be undone.
        </p>
      </ConfirmDialog>
    </>
  );
}
