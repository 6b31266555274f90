package org.cil4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.cil4j.report.Comparison;
import org.cil4j.report.RunDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Parameters;

/** {@code cil compare}: runs side by side, mean and spread over seeds and class orders. */
@Command(
        name = "compare",
        mixinStandardHelpOptions = true,
        description = "Print a table with one row per config (runs that differ only in seed or class order are "
                + "averaged: mean ± sd) and the config keys in which the rows differ.")
public final class CompareCommand implements Callable<Integer> {
    @Parameters(
            arity = "1..*",
            paramLabel = "RUN_DIR",
            description = "run folders (holding results.json), or folders of them")
    List<Path> runs;

    @Override
    public Integer call() {
        System.out.print(Comparison.of(RunDir.find(runs)).table());
        return 0;
    }
}
