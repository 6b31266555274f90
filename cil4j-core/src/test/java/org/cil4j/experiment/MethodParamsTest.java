package org.cil4j.experiment;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import java.lang.reflect.RecordComponent;
import java.util.List;
import org.cil4j.CilException;
import org.cil4j.method.Default;
import org.cil4j.method.DrParams;
import org.cil4j.method.Lucir;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/** Each method's parameters are one record whose components state their defaults once. */
class MethodParamsTest {
    static List<String> methods() {
        return Methods.all().stream().map(Methods.Entry::name).toList();
    }

    @ParameterizedTest
    @MethodSource("methods")
    void everyParameterHasADefaultOrIsResolvedFromTheOthers(String method) throws Exception {
        Methods.Entry e = Methods.entry(method);
        for (RecordComponent c : e.paramsType().getRecordComponents()) {
            if (c.getType().isPrimitive()) {
                assertNotNull(
                        c.getAnnotation(Default.class),
                        method + "." + c.getName() + " is primitive: it needs a @Default");
            }
        }
        // with no parameters given, every one is resolved, and the resolved ones read back the same
        JsonNode resolved = Methods.resolvedParams(MethodConfig.of(method, null));
        assertEquals(e.paramsType().getRecordComponents().length, resolved.size(), method);
        resolved.fields()
                .forEachRemaining(
                        f -> assertTrue(!f.getValue().isNull(), method + "." + f.getKey() + " resolved to null"));
        assertEquals(e.params(null), e.params(resolved), method + ": resolved parameters bind to the same record");
    }

    @Test
    void dependentDefaultsFollowTheParametersTheyDependOn() throws Exception {
        JsonNode twenty = ConfigLoader.MAPPER.readTree("{\"finetuneEpochs\": 20}");
        assertEquals(List.of(10), ((Lucir.Params) Methods.entry("lucir").params(twenty)).finetuneMilestones());
        assertEquals(
                "[1]",
                Methods.resolvedParams(MethodConfig.of("lucir", null))
                        .get("finetuneMilestones")
                        .toString());
        // DR's hard labels are on exactly when distillation is off, and its variants preset the switches
        assertEquals(false, ((DrParams) Methods.entry("dr-dr").params(null)).hardLabels());
        assertEquals(true, ((DrParams) Methods.entry("dr-r").params(null)).hardLabels());
        JsonNode r = Methods.resolvedParams(MethodConfig.of("dr-r", null));
        assertEquals(false, r.get("distillation").asBoolean());
        assertEquals(true, r.get("hardLabels").asBoolean());
    }

    @Test
    void badParametersAreRefusedByName() throws Exception {
        CilException unknown = assertThrows(
                CilException.class,
                () -> Methods.create(MethodConfig.of("replay", ConfigLoader.MAPPER.readTree("{\"memory\": 3}"))));
        assertTrue(
                unknown.getMessage().contains("'memory'")
                        && unknown.getMessage().contains("memoryPerClass"),
                unknown.getMessage());
        CilException none = assertThrows(
                CilException.class,
                () -> Methods.create(MethodConfig.of("finetune", ConfigLoader.MAPPER.readTree("{\"lr\": 3}"))));
        assertTrue(
                none.getMessage().contains("takes no parameters")
                        && none.getMessage().contains("lr"),
                none.getMessage());
        CilException type = assertThrows(
                CilException.class,
                () -> Methods.create(MethodConfig.of("lwf", ConfigLoader.MAPPER.readTree("{\"weight\": \"high\"}"))));
        assertTrue(type.getMessage().contains("lwf"), type.getMessage());
        CilException range = assertThrows(
                CilException.class,
                () -> Methods.create(MethodConfig.of("lwf", ConfigLoader.MAPPER.readTree("{\"weight\": -1}"))));
        assertTrue(range.getMessage().contains("weight"), range.getMessage());
        CilException notObject = assertThrows(
                CilException.class, () -> Methods.create(MethodConfig.of("lwf", ConfigLoader.MAPPER.readTree("[1]"))));
        assertTrue(notObject.getMessage().contains("method.params"), notObject.getMessage());
    }
}
