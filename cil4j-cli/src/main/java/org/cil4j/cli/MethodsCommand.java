package org.cil4j.cli;

import java.util.concurrent.Callable;
import org.cil4j.experiment.Methods;
import picocli.CommandLine.Command;

/** {@code cil methods}: lists the methods. */
@Command(name = "methods", mixinStandardHelpOptions = true, description = "List the methods.")
public final class MethodsCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        for (Methods.Entry e : Methods.all()) {
            System.out.printf("%-20s %s%n", e.name(), e.description());
        }
        return 0;
    }
}
