// The object page's Delete button (editors and admins only), with confirmation.
import { useState } from "preact/hooks";
import { Icon } from "../components/icons.tsx";
import { ConfirmDialog } from "../components/dialog.tsx";
import { btn } from "../components/ui.tsx";
import { api } from "../client/api.ts";
import { objectPath, proxyBase, type ResourceRef } from "../lib/k8s/paths.ts";

export default function DeleteObject(
  { clusterId, resource, namespace, name, listHref }: {
    clusterId: string;
    resource: ResourceRef;
    namespace: string | null;
    name: string;
    listHref: string;
  },
) {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button
        type="button"
        class={btn.dangerGhost}
        onClick={() => setOpen(true)}
        data-testid="delete-object"
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
