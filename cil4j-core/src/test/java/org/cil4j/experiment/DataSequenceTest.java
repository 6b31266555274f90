package org.cil4j.experiment;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.ArrayList;
import java.util.List;
import org.cil4j.CilException;
import org.cil4j.data.Datasets;
import org.cil4j.data.ImageDataset;
import org.cil4j.scenario.Scenario;
import org.cil4j.scenario.ScenarioConfig;
import org.junit.jupiter.api.Test;

class DataSequenceTest {
    /** n images per class, pixel value = 10 * label + image index within the class, everywhere. */
    static ImageDataset synthetic(String name, int classes, int perClass, int channels, int side) {
        int sz = channels * side * side;
        byte[] px = new byte[classes * perClass * sz];
        int[] lb = new int[classes * perClass];
        List<String> names = new ArrayList<>();
        for (int c = 0; c < classes; c++) {
            names.add("c" + c);
            for (int i = 0; i < perClass; i++) {
                int k = c * perClass + i;
                lb[k] = c;
                java.util.Arrays.fill(px, k * sz, (k + 1) * sz, (byte) (10 * c + i));
            }
        }
        return new ImageDataset(name, px, lb, channels, side, side, names);
    }

    /** mnist: 3 gray classes 4x4; cifar10: 4 color classes, 4x4 or 8x8. */
    static Experiment.DataSource source(int cifarSide) {
        return c -> switch (c.dataset()) {
            case "mnist" ->
                new Datasets.TrainTest(synthetic("mnist/train", 3, 2, 1, 4), synthetic("mnist/test", 3, 1, 1, 4));
            case "cifar10" ->
                new Datasets.TrainTest(
                        synthetic("cifar10/train", 4, 2, 3, cifarSide), synthetic("cifar10/test", 4, 1, 3, cifarSide));
            default -> throw new AssertionError(c.dataset());
        };
    }

    static DataConfig data(String json) throws Exception {
        return ConfigLoader.MAPPER.readValue(json, DataConfig.class);
    }

    private static String bindError(String data) {
        ObjectNode tree = (ObjectNode) read("{\"data\":" + data + ",\"method\":{\"name\":\"finetune\"}}");
        return assertThrows(CilException.class, () -> ConfigLoader.bind(tree, "t"))
                .getMessage();
    }

    private static JsonNode read(String json) {
        try {
            return ConfigLoader.MAPPER.readTree(json);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void partsAreReducedToTheirClassesConvertedAndJoined() throws Exception {
        DataConfig cfg = data(
                "{\"sequence\":[{\"dataset\":\"mnist\",\"classes\":[2,0]},{\"dataset\":\"cifar10\",\"classes\":2}]}");
        DataSequence.Joined j = DataSequence.load(cfg, source(4));
        assertEquals(List.of(2, 2), j.partClasses());
        ImageDataset tr = j.data().train();
        assertEquals(List.of("mnist/c2", "mnist/c0", "cifar10/c0", "cifar10/c1"), tr.classNames());
        assertEquals(3, tr.channels(), "gray parts become RGB when another part is in color");
        assertEquals(4, tr.height());
        // mnist class 2 (images 4, 5) -> 0, class 0 (images 0, 1) -> 1; cifar10 classes 0, 1 -> 2, 3
        assertArrayEquals(new int[] {1, 1, 0, 0, 2, 2, 3, 3}, tr.labels());
        assertEquals(20, tr.pixels()[2 * tr.imageSize() + 2 * 16], "mnist class 2's gray value copied into channel 2");
        assertEquals(1, tr.pixels()[5 * tr.imageSize()], "cifar10 class 0, second image (value 10 * 0 + 1)");
        assertEquals(11, tr.pixels()[7 * tr.imageSize()], "cifar10 class 1, second image");
        assertArrayEquals(new int[] {1, 0, 2, 3}, j.data().test().labels());
    }

    @Test
    void differentSizesNeedImageSize() throws Exception {
        DataConfig noSize = data("{\"sequence\":[{\"dataset\":\"mnist\"},{\"dataset\":\"cifar10\"}]}");
        String msg = assertThrows(CilException.class, () -> DataSequence.load(noSize, source(8)))
                .getMessage();
        assertTrue(msg.contains("data.imageSize"), msg);
        DataConfig sized =
                data("{\"imageSize\":6,\"rgb\":true,\"sequence\":[{\"dataset\":\"mnist\"},{\"dataset\":\"cifar10\"}]}");
        DataSequence.Joined j = DataSequence.load(sized, source(8));
        assertEquals(List.of(3, 4), j.partClasses());
        ImageDataset tr = j.data().train();
        assertEquals(6, tr.height());
        assertEquals(6, tr.width());
        assertEquals(3, tr.channels());
        assertEquals(7, tr.numClasses());
        assertEquals(14, tr.size());
    }

    @Test
    void aClassOutOfRangeNamesItsPart() throws Exception {
        DataConfig cfg = data("{\"sequence\":[{\"dataset\":\"mnist\"},{\"dataset\":\"cifar10\",\"classes\":[1,4]}]}");
        String msg = assertThrows(CilException.class, () -> DataSequence.load(cfg, source(4)))
                .getMessage();
        assertTrue(msg.contains("data.sequence[1].classes") && msg.contains("4"), msg);
    }

    @Test
    void badPartsFailNamingThem() {
        String m = bindError("{\"sequence\":[{\"dataset\":\"mnist\"},{\"dataset\":\"imagenet-1k\"}]}");
        assertTrue(m.contains("data.sequence[1].dataset") && m.contains("imagenet-1k"), m);
        m = bindError("{\"sequence\":[{\"dataset\":\"mnist\",\"clases\":3}]}");
        assertTrue(m.contains("data.sequence[0]") && m.contains("clases"), m);
        m = bindError("{\"sequence\":[{\"dataset\":\"mnist\",\"classes\":[1,1]}]}");
        assertTrue(m.contains("data.sequence[0].classes"), m);
        m = bindError("{\"sequence\":[{\"dataset\":\"mnist\",\"classes\":0}]}");
        assertTrue(m.contains("data.sequence[0].classes"), m);
        m = bindError("{\"sequence\":[{\"dir\":\"x\"}]}");
        assertTrue(m.contains("data.sequence[0].dataset"), m);
        m = bindError("{\"sequence\":[]}");
        assertTrue(m.contains("data.sequence"), m);
        m = bindError("{\"dataset\":\"mnist\",\"sequence\":[{\"dataset\":\"mnist\"}]}");
        assertTrue(m.contains("data.dataset") && m.contains("data.sequence"), m);
        m = bindError("{\"sequenc\":[{\"dataset\":\"mnist\"}]}");
        assertTrue(m.contains("sequenc"), m);
    }

    @Test
    void configsRoundTripAndOldOnesAreUnchanged() throws Exception {
        DataConfig seq = data("{\"imageSize\":32,\"sequence\":[{\"dataset\":\"tiny-imagenet-100\",\"classes\":50},"
                + "{\"dataset\":\"fashion-mnist\",\"dir\":\"/d\"}]}");
        assertEquals(50, seq.sequence().get(0).classes().size());
        assertEquals("tiny-imagenet-100[0-49] + fashion-mnist", seq.describe());
        JsonNode tree = ConfigLoader.MAPPER.valueToTree(seq);
        assertEquals(seq, ConfigLoader.MAPPER.treeToValue(tree, DataConfig.class));
        JsonNode old = ConfigLoader.MAPPER.valueToTree(data("{\"dataset\":\"fashion-mnist\"}"));
        assertFalse(old.has("sequence"), "a config without a sequence saves as before (same hash): " + old);
        assertEquals("3,1,7-9", DataConfig.ranges(List.of(3, 1, 7, 8, 9)));
    }

    @Test
    void oneTaskPerPartUnlessTheScenarioSaysOtherwise() {
        ScenarioConfig dflt = ScenarioConfig.of("multi-task", null, null, null, null, null, null, null, null);
        ScenarioConfig sc = DataSequence.scenario(dflt, List.of(3, 2));
        Scenario s = Scenario.of(sc, 5, List.of("a", "b", "c", "d", "e"));
        assertArrayEquals(new int[] {3, 2}, s.phaseSizes());
        assertArrayEquals(new int[] {0, 1, 2, 3, 4}, s.order());
        ScenarioConfig explicit = ScenarioConfig.of(
                "multi-class", null, null, null, List.of(1, 2, 2), List.of(4, 3, 2, 1, 0), null, null, null);
        Scenario e = Scenario.of(DataSequence.scenario(explicit, List.of(3, 2)), 5, List.of("a", "b", "c", "d", "e"));
        assertArrayEquals(new int[] {1, 2, 2}, e.phaseSizes());
        assertArrayEquals(new int[] {4, 3, 2, 1, 0}, e.order());
        ScenarioConfig classes = ScenarioConfig.of("multi-task", 4, null, null, null, null, null, null, null);
        String m = assertThrows(CilException.class, () -> DataSequence.scenario(classes, List.of(3, 2)))
                .getMessage();
        assertTrue(m.contains("scenario.phases"), m);
    }
}
