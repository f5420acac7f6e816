package dev.pymode.operator.api.v1alpha1.common;

import java.lang.annotation.ElementType;
import java.lang.annotation.Retention;
import java.lang.annotation.RetentionPolicy;
import java.lang.annotation.Target;

/**
 * What a change to a spec field sets off (issue #18, after the Flink operator's spec-diff annotations): every field
 * of a spec says whether it goes into the bundle (a change rebuilds), only into the deployment (a change
 * re-deploys the same bundle), only steers the operator, or is a group whose own fields say. `SpecInputsTest`
 * fails for an unclassified field, and for a build input that the build key does not carry.
 */
@Retention(RetentionPolicy.RUNTIME)
@Target(ElementType.FIELD)
public @interface SpecInput {

    Kind value();

    /** For {@link Kind#BUILD}: the {@code BuildKey} component the field reaches the key through. */
    String buildKey() default "";

    enum Kind {
        /** Part of the bundle: a change makes a new build key, a new build (or a cache hit) and a deploy. */
        BUILD,
        /** Part of the upload or of what is made on Cloudflare: a change deploys the existing bundle again. */
        DEPLOY,
        /** Steers the operator itself (e.g. suspend): neither rebuilds nor redeploys by itself. */
        CONTROL,
        /** A group of fields, each classified in its own class. */
        GROUP
    }
}
