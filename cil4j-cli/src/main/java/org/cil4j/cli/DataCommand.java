package org.cil4j.cli;

import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.cil4j.data.DataFetcher;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code cil data fetch NAME}: downloads an official dataset archive. */
@Command(name = "data", mixinStandardHelpOptions = true, description = "Manage datasets.",
        subcommands = {DataCommand.Fetch.class})
public final class DataCommand implements Runnable {
    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    @Override
    public void run() {
        spec.commandLine().usage(System.out);
    }

    /** Downloads and checks an official archive. */
    @Command(name = "fetch", mixinStandardHelpOptions = true,
            description = "Download cifar10, cifar100 or fashion-mnist from the official site and verify checksums.")
    public static final class Fetch implements Callable<Integer> {
        @Parameters(index = "0", description = "cifar10, cifar100 or fashion-mnist")
        String name;

        @Option(names = "--dir", description = "target folder (default: $CIL4J_DATA/NAME or ~/.cache/cil4j/data/NAME)")
        Path dir;

        @Override
        public Integer call() {
            Path target = dir == null ? DataFetcher.defaultDir(name) : dir;
            Path got = new DataFetcher().fetch(name, target);
            System.out.println(name + " is ready in " + got);
            return 0;
        }
    }
}
