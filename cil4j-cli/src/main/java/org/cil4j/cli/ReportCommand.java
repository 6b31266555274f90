package org.cil4j.cli;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import org.cil4j.report.Report;
import org.cil4j.report.RunDir;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cil report}: an HTML page, figures and tables from result folders. */
@Command(
        name = "report",
        mixinStandardHelpOptions = true,
        description = "Write an HTML report (self-contained), PNG/SVG figures and Markdown/CSV tables of runs. "
                + "Runs of different scenarios are shown in separate sections.")
public final class ReportCommand implements Callable<Integer> {
    @Parameters(
            arity = "1..*",
            paramLabel = "RUN_DIR",
            description = "run folders (holding results.json), or folders of them")
    List<Path> runs;

    @Option(names = "--out", description = "output folder (default: ${DEFAULT-VALUE})", defaultValue = "report")
    Path out;

    @Option(
            names = "--vary",
            paramLabel = "KEY",
            description = "also plot and tabulate old- and new-phase accuracy against"
                    + " this config key's value across the runs of a scenario (e.g. method.params.reservedPerClass)")
    String vary;

    @Override
    public Integer call() {
        Path page = Report.write(RunDir.find(runs), out, vary);
        System.out.println("report: " + page);
        return 0;
    }
}
