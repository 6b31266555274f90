package org.cil4j.method;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.cil4j.CilException;
import org.cil4j.experiment.MethodConfig;
import org.cil4j.experiment.Methods;
import org.junit.jupiter.api.Test;

class DrParamsTest {
    private static DrParams params(String name, ObjectNode p) {
        return ((Dr) Methods.create(MethodConfig.of(name, p))).params();
    }

    @Test
    void defaultsAreTheReleasedDrSetting() {
        DrParams p = params("dr", null);
        assertEquals(new DrParams(true, true, 2.0, 0.25, 5, "random", 1L, true, false, "uniform"), p);
        assertEquals(p, params("dr-dr", null));
    }

    @Test
    void registryNamesPresetTheSwitchesAndHardLabelsFollowDistillation() {
        DrParams d = params("dr-d", null);
        assertTrue(d.distillation());
        assertFalse(d.retrospection());
        assertFalse(d.hardLabels());
        DrParams r = params("dr-r", null);
        assertFalse(r.distillation());
        assertTrue(r.retrospection());
        assertTrue(r.hardLabels());
        ObjectNode o =
                JsonNodeFactory.instance.objectNode().put("retrospection", true).put("hardLabels", true);
        DrParams both = params("dr-d", o);
        assertTrue(both.retrospection());
        assertTrue(both.hardLabels());
        assertEquals("dr-r", Methods.create(MethodConfig.of("dr-r", null)).name());
    }

    @Test
    void badValuesAndUnknownKeysFail() {
        var f = JsonNodeFactory.instance;
        assertThrows(CilException.class, () -> params("dr", f.objectNode().put("reservedPerClass", -1)));
        assertThrows(CilException.class, () -> params("dr", f.objectNode().put("reservedSelection", "nearest")));
        assertThrows(CilException.class, () -> params("dr", f.objectNode().put("temperature", 0.0)));
        assertThrows(CilException.class, () -> params("dr", f.objectNode().put("weight", Double.NaN)));
        assertThrows(CilException.class, () -> params("dr-r", f.objectNode().put("hardLabels", false)));
        CilException regime = assertThrows(
                CilException.class, () -> params("dr", f.objectNode().put("lrRegime", "caffe")));
        assertTrue(regime.getMessage().contains("lrRegime"), regime.getMessage());
        assertEquals(
                DrParams.RELEASE,
                params("dr", f.objectNode().put("lrRegime", "release")).lrRegime());
        CilException e = assertThrows(
                CilException.class, () -> params("dr", f.objectNode().put("reserved", 5)));
        assertTrue(e.getMessage().contains("reserved"), e.getMessage());
    }
}
