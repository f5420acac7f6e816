package dev.pymode.operator.source.git;

import static org.assertj.core.api.Assertions.assertThat;

import dev.pymode.operator.source.SourceFailure;
import org.eclipse.jgit.errors.TransportException;
import org.eclipse.jgit.transport.URIish;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** How transport failures are classified: by what the message says, never by digits of the repository's address. */
@Tag("unit")
class GitErrorsTest {

    @Test
    void aPortContaining403IsNoHttp403() throws Exception {
        String where = "http://127.0.0.1:40312/project.git";
        TransportException error = new TransportException(new URIish(where), "want 0123456789 not valid");
        SourceFailure failure = GitErrors.classify(error, where, false, null);
        assertThat(failure.reason()).isNotEqualTo("AuthenticationFailed");
    }

    @Test
    void anHttp403IsAccessDenied() throws Exception {
        String where = "https://git.example.com/project.git";
        TransportException error = new TransportException(new URIish(where), "403 Forbidden");
        SourceFailure failure = GitErrors.classify(error, where, true, null);
        assertThat(failure.reason()).isEqualTo("AuthenticationFailed");
        assertThat(failure.getMessage()).contains("HTTP 403").contains("no read access");
    }
}
