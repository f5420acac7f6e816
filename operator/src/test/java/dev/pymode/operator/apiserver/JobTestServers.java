package dev.pymode.operator.apiserver;

import java.nio.file.Path;

import dev.pymode.devenv.LocalApiServer;
import dev.pymode.devenv.LocalRegistry;
import dev.pymode.operator.support.TestPaths;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;

/**
 * What the builder-Job tests run against: a real API server with the generated CRDs and the test's namespace, and an
 * OCI registry on loopback; closed in the reverse order.
 */
record JobTestServers(LocalApiServer server, KubernetesClient client, LocalRegistry registry) implements AutoCloseable {

    static JobTestServers start(Path tmp, String namespace) throws Exception {
        LocalApiServer server = new LocalApiServer().start();
        KubernetesClient client = server.newClient();
        LocalApiServer.applyCrds(client, TestPaths.generatedCrds());
        client.namespaces().resource(new NamespaceBuilder().withNewMetadata().withName(namespace).endMetadata().build())
                .create();
        return new JobTestServers(server, client, new LocalRegistry(tmp.resolve("registry")).start());
    }

    @Override
    public void close() throws Exception {
        registry.close();
        client.close();
        server.close();
    }
}
