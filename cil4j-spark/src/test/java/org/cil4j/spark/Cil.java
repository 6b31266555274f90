package org.cil4j.spark;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.cil4j.cli.Main;

/** Runs the {@code cil} command line in this JVM and keeps what it printed. */
final class Cil {
    private Cil() {}

    /**
     * @param rc the exit code
     * @param log standard output and error together
     */
    record Ran(int rc, String log) {}

    static Ran run(String... args) {
        PrintStream out = System.out;
        PrintStream err = System.err;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        PrintStream both = new PrintStream(buf, true, StandardCharsets.UTF_8);
        System.setOut(both);
        System.setErr(both);
        int rc;
        try {
            rc = Main.execute(args);
        } finally {
            System.setOut(out);
            System.setErr(err);
        }
        return new Ran(rc, buf.toString(StandardCharsets.UTF_8));
    }
}
