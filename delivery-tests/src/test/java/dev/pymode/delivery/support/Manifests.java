package dev.pymode.delivery.support;

import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.marcnuri.helm.Helm;
import com.marcnuri.helm.TemplateCommand;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.utils.Serialization;

/** Renders the chart with helm-java and reads the manifests back as Kubernetes objects. */
public final class Manifests {

    public static final String RELEASE = "pymode";
    public static final String NAMESPACE = "pymode-system";

    private final List<HasMetadata> items;
    private final String yaml;

    private Manifests(String yaml, List<HasMetadata> items) {
        this.yaml = yaml;
        this.items = items;
    }

    /** helm template with the given --set values (release "pymode" in namespace "pymode-system"). */
    public static Manifests render(Map<String, Object> values) {
        TemplateCommand command = new Helm(Repo.chart()).template().withName(RELEASE).withNamespace(NAMESPACE);
        values.forEach(command::set);
        return parse(command.call());
    }

    /** helm template with the given --set values, for a release of that name installed in that namespace. */
    public static Manifests render(Map<String, Object> values, String release, String namespace) {
        TemplateCommand command = new Helm(Repo.chart()).template().withName(release).withNamespace(namespace);
        values.forEach(command::set);
        return parse(command.call());
    }

    /** helm template with a values file. */
    public static Manifests render(Path valuesFile) {
        return parse(new Helm(Repo.chart()).template().withName(RELEASE).withNamespace(NAMESPACE)
                .withValuesFile(valuesFile).call());
    }

    public static Manifests parse(String yaml) {
        List<HasMetadata> items = new ArrayList<>();
        for (String document : yaml.split("(?m)^---\\s*$")) {
            if (document.lines().allMatch(l -> l.isBlank() || l.stripLeading().startsWith("#"))) {
                continue;
            }
            Object parsed = Serialization.unmarshal(new ByteArrayInputStream(document.getBytes(StandardCharsets.UTF_8)));
            if (parsed instanceof HasMetadata resource) {
                items.add(resource);
            } else if (parsed instanceof List<?> list) {
                list.forEach(i -> items.add((HasMetadata) i));
            } else {
                throw new IllegalStateException("not a Kubernetes object: " + document);
            }
        }
        return new Manifests(yaml, List.copyOf(items));
    }

    public String yaml() {
        return yaml;
    }

    public List<HasMetadata> all() {
        return items;
    }

    public List<String> kinds() {
        return items.stream().map(HasMetadata::getKind).toList();
    }

    public <T extends HasMetadata> List<T> ofType(Class<T> type) {
        return items.stream().filter(type::isInstance).map(type::cast).toList();
    }

    public <T extends HasMetadata> T single(Class<T> type) {
        List<T> found = ofType(type);
        if (found.size() != 1) {
            throw new AssertionError("expected one " + type.getSimpleName() + ", found " + found.size());
        }
        return found.get(0);
    }

    public Optional<GenericKubernetesResource> generic(String kind) {
        return items.stream().filter(i -> kind.equals(i.getKind()) && i instanceof GenericKubernetesResource)
                .map(GenericKubernetesResource.class::cast).findFirst();
    }
}
