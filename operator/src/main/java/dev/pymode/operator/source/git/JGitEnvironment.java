package dev.pymode.operator.source.git;

import org.eclipse.jgit.lib.Config;
import org.eclipse.jgit.storage.file.FileBasedConfig;
import org.eclipse.jgit.util.FS;
import org.eclipse.jgit.util.SystemReader;

/**
 * Keeps JGit away from the operator's environment: no ~/.gitconfig, /etc/gitconfig or ~/.config/jgit (which
 * would change URLs, proxies or credentials behind the spec's back, and which JGit tries to write on a
 * read-only root filesystem). Fetch behaviour then depends on the spec alone.
 */
final class JGitEnvironment {

    private static volatile boolean isolated;

    private JGitEnvironment() {
    }

    static synchronized void isolate() {
        if (isolated) {
            return;
        }
        SystemReader.setInstance(new SystemReader.Delegate(SystemReader.getInstance()) {
            @Override
            public FileBasedConfig openUserConfig(Config parent, FS fs) {
                return empty(parent, fs);
            }

            @Override
            public FileBasedConfig openSystemConfig(Config parent, FS fs) {
                return empty(parent, fs);
            }

            @Override
            public FileBasedConfig openJGitConfig(Config parent, FS fs) {
                return empty(parent, fs);
            }
        });
        isolated = true;
    }

    private static FileBasedConfig empty(Config parent, FS fs) {
        return new FileBasedConfig(parent, null, fs) {
            @Override
            public void load() {
                // nothing to read
            }

            @Override
            public void save() {
                // nothing to write
            }

            @Override
            public boolean isOutdated() {
                return false;
            }
        };
    }
}
