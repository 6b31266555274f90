package org.cil4j.cli;

import java.io.PrintWriter;
import org.cil4j.CilException;
import org.cil4j.engine.Engines;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** The {@code cil} command line. */
@Command(
        name = "cil",
        mixinStandardHelpOptions = true,
        versionProvider = Main.Version.class,
        description = "Class-incremental and lifelong learning on the JVM.",
        subcommands = {
            RunCommand.class,
            DemoCommand.class,
            ReportCommand.class,
            CompareCommand.class,
            SweepCommand.class,
            ScoreCommand.class,
            MethodsCommand.class,
            DatasetsCommand.class,
            BenchCommand.class,
            ServeCommand.class,
            DataCommand.class,
            CommandLine.HelpCommand.class
        })
public final class Main implements Runnable {
    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(spec.commandLine().getOut());
    }

    /**
     * Entry point.
     *
     * @param args command-line arguments
     */
    public static void main(String[] args) {
        int code;
        try {
            code = execute(args);
        } catch (OutOfMemoryError e) {
            // the launcher caps the heap (-Xmx2g) to keep resident memory low; big datasets need more
            System.err.printf(
                    "error: the JVM ran out of heap memory (%d MiB allowed): %s. Datasets and exemplars live on the"
                            + " Java heap; allow more with CIL4J_JAVA_OPTS=-Xmx8g ./cil ...%n",
                    Runtime.getRuntime().maxMemory() >> 20, e.getMessage());
            code = 1;
        }
        System.exit(code);
    }

    /**
     * Runs the command line and returns its exit code: 0 on success, 2 for bad input (a
     * {@link CilException}: its message is printed without a stack trace), 1 for bugs.
     *
     * @param args arguments
     * @return the exit code
     */
    public static int execute(String... args) {
        Engines.quietEngineLogs();
        System.setProperty("org.slf4j.simpleLogger.showDateTime", "true");
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat", "HH:mm:ss");
        System.setProperty("org.slf4j.simpleLogger.showThreadName", "false");
        System.setProperty("org.slf4j.simpleLogger.showShortLogName", "true");
        CommandLine cl = new CommandLine(new Main());
        cl.setExecutionExceptionHandler((ex, cmd, parsed) -> {
            Throwable t = ex;
            while (t != null && !(t instanceof CilException)) {
                t = t.getCause();
            }
            PrintWriter err = cmd.getErr();
            if (t != null) {
                err.println("error: " + t.getMessage());
                err.flush();
                return 2;
            }
            ex.printStackTrace(err);
            err.flush();
            return 1;
        });
        cl.setExitCodeExceptionMapper(e -> 2);
        return cl.execute(args);
    }

    /** Reads the version from the jar manifest. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() {
            String v = Main.class.getPackage().getImplementationVersion();
            return new String[] {"cil4j " + (v == null ? "dev" : v)};
        }
    }
}
