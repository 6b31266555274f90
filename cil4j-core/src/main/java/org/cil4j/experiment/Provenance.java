package org.cil4j.experiment;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.time.Instant;
import java.util.Properties;
import org.cil4j.engine.Engines;

/**
 * Where and with what a result was produced.
 *
 * @param cil4jVersion the library version
 * @param gitCommit the commit the library was built from ("unknown" outside a git checkout),
 *     with "-dirty" when the tree had uncommitted changes
 * @param engine engine name and version
 * @param java Java runtime
 * @param os operating system and architecture
 * @param cpus available processors
 * @param threads the engine's intra-op threads the run computed with: the config's {@code
 *     threads}, or fewer under a cap ({@code cil4j.threads.max}); results differ slightly with it.
 *     Null in results written before it was recorded (2026-12-02), which stay readable
 * @param host host name
 * @param started start time (ISO-8601)
 * @param command the command line, when run from the CLI
 * @param base the first-phase network this run loaded instead of training it, or null
 */
public record Provenance(
        String cil4jVersion,
        String gitCommit,
        String engine,
        String java,
        String os,
        int cpus,
        Integer threads,
        String host,
        String started,
        String command,
        Base base) {

    /**
     * A loaded first phase ({@link BaseModel}).
     *
     * @param from the folder it was read from
     * @param name the name of the run that trained it
     * @param method the method of that run
     * @param sha256 SHA-256 of its weights file
     */
    public record Base(String from, String name, String method, String sha256) {}

    /**
     * @param b the loaded base
     * @return this provenance naming it
     */
    public Provenance withBase(Base b) {
        return new Provenance(cil4jVersion, gitCommit, engine, java, os, cpus, threads, host, started, command, b);
    }

    /**
     * Collects the provenance of the current process.
     *
     * @param command the command line, or null
     * @return the provenance
     */
    public static Provenance collect(String command) {
        Properties git = new Properties();
        try (InputStream in = Provenance.class.getResourceAsStream("/cil4j-git.properties")) {
            if (in != null) {
                git.load(in);
            }
        } catch (IOException e) {
            // leave unknown
        }
        String commit = git.getProperty("git.commit.id", "unknown");
        if ("true".equals(git.getProperty("git.dirty"))) {
            commit += "-dirty";
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (IOException e) {
            host = "unknown";
        }
        return new Provenance(
                git.getProperty("git.build.version", "dev"),
                commit,
                Engines.describe(),
                System.getProperty("java.vm.name") + " " + System.getProperty("java.version"),
                System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                        + System.getProperty("os.arch"),
                Runtime.getRuntime().availableProcessors(),
                Engines.threads(),
                host,
                Instant.now().toString(),
                command,
                null);
    }
}
