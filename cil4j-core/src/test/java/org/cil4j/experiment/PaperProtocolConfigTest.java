package org.cil4j.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.cil4j.scenario.ClassOrder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The paper protocol's config, {@code configs/cifar100-b50.json}, starts from its file and
 * completes its base phase and first incremental phase (imprinting, the LUCIR losses, herding,
 * NME; no class-balanced finetuning, as in the released code's CIFAR-100 recipe), one epoch each. CIFAR-100 itself cannot be downloaded on the
 * machines this suite runs on, so the data is a stand-in written in the official binary format
 * ({@code cifar-100-binary/train.bin}, {@code test.bin}, {@code fine_label_names.txt}): 100
 * classes of noisy color patterns, which also pins the loader to that format.
 */
class PaperProtocolConfigTest {
    @TempDir
    Path tmp;

    private static void writeCifar100(Path folder, int perClass, long seed) throws IOException {
        Files.createDirectories(folder);
        List<String> names = new ArrayList<>();
        for (int c = 0; c < 100; c++) {
            names.add("class_" + c);
        }
        Files.write(folder.resolve("fine_label_names.txt"), names);
        for (String split : List.of("train", "test")) {
            SplittableRandom rnd = new SplittableRandom(seed + split.length());
            byte[] out = new byte[100 * perClass * 3074];
            int r = 0;
            for (int c = 0; c < 100; c++) {
                for (int i = 0; i < perClass; i++, r++) {
                    int off = r * 3074;
                    out[off] = (byte) (c / 5);
                    out[off + 1] = (byte) c;
                    for (int ch = 0; ch < 3; ch++) {
                        int level = (c * (37 + 53 * ch)) % 256;
                        for (int k = 0; k < 1024; k++) {
                            int stripe = ((k / 32) / (1 + c % 7)) % 2 == 0 ? 40 : -40;
                            out[off + 2 + ch * 1024 + k] =
                                    (byte) Math.max(0, Math.min(255, level + stripe + rnd.nextInt(-30, 31)));
                        }
                    }
                }
            }
            Files.write(folder.resolve(split + ".bin"), out);
        }
    }

    @Test
    void theCifar100ProtocolStartsFromItsConfigAndCompletesAnIncrementalPhase() throws IOException {
        Path data = tmp.resolve("data");
        writeCifar100(data.resolve("cifar-100-binary"), 4, 1);
        ExperimentConfig cfg = ConfigLoader.load(
                Path.of("..", "configs", "cifar100-b50.json"),
                List.of(
                        "data.dir=" + ConfigLoader.MAPPER.valueToTree(data.toString()),
                        "train.epochs=1",
                        "train.milestones=[]",
                        "threads=2",
                        "runPhases=2"));
        RunResult r = new Experiment(cfg).output(tmp.resolve("run")).run();

        assertTrue(r.complete());
        assertEquals(2, r.phases().size());
        assertEquals(
                List.of(50, 10, 10, 10, 10, 10),
                Arrays.stream(r.scenario().phaseSizes()).boxed().toList());
        assertArrayEquals(ClassOrder.shuffled(100, 1993), r.scenario().order(), "the seed-1993 order of PROTOCOLS.md");
        assertEquals("lucir", r.config().method().name());
        assertTrue(r.config().model().cosine());
        assertNotNull(r.nme(), "LUCIR keeps exemplars, so NME is reported");
        assertEquals(60 * 4, r.phases().get(1).memory().get("samples"), "4 stand-in images of each of 60 classes kept");
        assertTrue(r.phases().get(1).trainSeconds() > 0 && r.phases().get(1).evalSeconds() > 0);
    }
}
