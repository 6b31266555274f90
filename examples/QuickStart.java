import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.cil4j.experiment.ConfigLoader;
import org.cil4j.experiment.Experiment;
import org.cil4j.experiment.ExperimentConfig;
import org.cil4j.experiment.RunResult;

/** Runs iCaRL on fmnist-5x2 from Java and prints what a user reads first. */
public class QuickStart {
    public static void main(String[] args) {
        Path config = Path.of(args.length > 0 ? args[0] : "configs/fmnist-5x2.json");
        List<String> overrides = args.length > 1
                ? Arrays.asList(args).subList(1, args.length)
                : List.of("method.name=icarl");
        ExperimentConfig cfg = ConfigLoader.load(config, overrides);
        RunResult result = new Experiment(cfg).run();

        System.out.printf("%s: average incremental accuracy %.2f%% (CNN), last phase %.2f%%%n",
                cfg.method().name(), result.cnn().averageIncrementalAccuracy(),
                result.cnn().accuracyAfter(result.cnn().phases() - 1));
        if (result.nme() != null) {
            System.out.printf("nearest mean of exemplars: %.2f%%%n", result.nme().averageIncrementalAccuracy());
        }
        System.out.println("forgetting " + result.cnn().forgetting());
    }
}
