package org.cil4j.cli;

import java.util.Map;
import java.util.concurrent.Callable;
import org.cil4j.data.Datasets;
import picocli.CommandLine.Command;

/** {@code cil datasets}: lists the datasets and where they are looked for. */
@Command(name = "datasets", mixinStandardHelpOptions = true, description = "List the datasets.")
public final class DatasetsCommand implements Callable<Integer> {
    @Override
    public Integer call() {
        for (Map.Entry<String, String> e : Datasets.names().entrySet()) {
            System.out.printf("%-20s %s%n", e.getKey(), e.getValue());
        }
        return 0;
    }
}
