package dev.pymode.cloudflare;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;

import org.junit.jupiter.api.Test;

class MigrationsTest {

    static final List<MigrationStep> HISTORY = List.of(
            MigrationStep.newSqliteClasses("v1", "PythonDO"),
            MigrationStep.newSqliteClasses("v2", "ThreadDO"),
            new MigrationStep("v3", List.of(), List.of(), List.of("OldDO"),
                    List.of(new MigrationStep.Rename("ThreadDO", "WorkerThreadDO")),
                    List.of(new MigrationStep.Transfer("Queue", "other-worker", "QueueDO"))));

    @Test
    void newScriptGetsEveryStepWithoutOldTag() {
        assertThat(Migrations.toUpload(HISTORY, null)).get().hasToString("{\"new_tag\":\"v3\",\"steps\":["
                + "{\"new_sqlite_classes\":[\"PythonDO\"]},{\"new_sqlite_classes\":[\"ThreadDO\"]},"
                + "{\"deleted_classes\":[\"OldDO\"],\"renamed_classes\":[{\"from\":\"ThreadDO\",\"to\":\"WorkerThreadDO\"}],"
                + "\"transferred_classes\":[{\"from\":\"Queue\",\"from_script\":\"other-worker\",\"to\":\"QueueDO\"}]}]}");
    }

    @Test
    void scriptAtAnOlderTagGetsOnlyTheStepsAfterIt() {
        assertThat(Migrations.toUpload(HISTORY.subList(0, 2), "v1")).get()
                .hasToString("{\"old_tag\":\"v1\",\"new_tag\":\"v2\",\"steps\":[{\"new_sqlite_classes\":[\"ThreadDO\"]}]}");
    }

    @Test
    void scriptAtTheLastTagGetsNone() {
        assertThat(Migrations.toUpload(HISTORY, "v3")).isEmpty();
        assertThat(Migrations.toUpload(List.of(), "v3")).isEmpty();
        assertThat(Migrations.toUpload(List.of(), null)).isEmpty();
    }

    @Test
    void unknownRemoteTagSendsEverythingWithOldTagLikeWrangler() {
        assertThat(Migrations.toUpload(HISTORY.subList(0, 1), "hand-made")).get()
                .hasToString("{\"old_tag\":\"hand-made\",\"new_tag\":\"v1\",\"steps\":[{\"new_sqlite_classes\":[\"PythonDO\"]}]}");
    }
}
