package dev.pymode.operator.bindings;

import java.util.List;

import dev.pymode.cloudflare.Binding;
import dev.pymode.cloudflare.CloudflareClient;
import dev.pymode.operator.api.v1alpha1.worker.NamedBinding;
import dev.pymode.operator.api.v1alpha1.worker.WorkerBindings;
import dev.pymode.operator.inventory.AccountInventory;

/**
 * One binding kind of a PyModeWorker (issue #18 item 4): which spec field declares it, what it points at in the
 * account (resolved through the shared {@link AccountInventory}, so a resync costs no call), the Cloudflare
 * upload-metadata binding, and the kind name the runtime reads from {@code PYMODE_BINDINGS_DECL} (the same name as
 * the JavaScript hosts' and pylib's registries and the ABI's {@code call(kind, ...)}). Adding a kind is one
 * descriptor here plus one in each of those registries; python.wasm and every build key stay as they are.
 *
 * @param <B> the spec type of one binding
 */
public interface BindingKind<B extends NamedBinding> {

    /** The runtime's kind name: the value in {@code PYMODE_BINDINGS_DECL}. */
    String name();

    /** This kind's bindings in a worker's spec (the spec field). */
    List<B> declared(WorkerBindings bindings);

    /**
     * What the upload needs to point the binding at: a resource ID from the account inventory (the resource is
     * created when missing), or a name that needs no lookup.
     */
    String resolve(AccountInventory inventory, B binding);

    /** The binding in Cloudflare's upload metadata. */
    Binding metadata(B binding, String resolved);

    /**
     * The account resource this binding owns in the sense of {@code resourcePolicy: Delete} (a namespace title,
     * bucket, database or queue name), or null when it points at something the worker does not own.
     */
    String ownedResource(B binding);

    /** Deletes an owned resource by the name {@link #ownedResource} gave; absent is fine. */
    void deleteResource(CloudflareClient client, String account, String resource);
}
