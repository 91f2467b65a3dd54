package org.sdmodel.scan;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.sdmodel.ModelFile;
import org.sdmodel.ModelFormat;
import org.sdmodel.UnsafeModelException;
import org.sdmodel.pickle.ImportSafety;
import org.sdmodel.pickle.PickleImport;
import org.sdmodel.scan.ScanReport.Verdict;
import org.sdmodel.testing.HostileFiles;
import org.sdmodel.testing.PickleBuilder;
import org.sdmodel.testing.TestFiles;
import org.sdmodel.testing.ZipBuilder;

/**
 * {@link ModelScanner} lists exactly the imports Python's own Unpickler asks {@code find_class}
 * for (testdata/hostile/imports.json and realmodels-imports.json, written by make_hostile.py with
 * a recording Unpickler), record by record, and concludes as the classification says.
 */
class ModelScannerTest {
    @TempDir
    Path dir;

    static Stream<Arguments> fixtures() throws IOException {
        return entries(TestFiles.testdata("hostile/imports.json"), TestFiles.projectRoot().resolve("testdata"));
    }

    static Stream<Arguments> realModels() throws IOException {
        return entries(TestFiles.testdata("hostile/realmodels-imports.json"), TestFiles.realModels());
    }

    private static Stream<Arguments> entries(Path json, Path root) throws IOException {
        JsonNode all = new ObjectMapper().readTree(json.toFile());
        List<Arguments> out = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = all.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            out.add(Arguments.of(e.getKey(), root.resolve(e.getKey()), e.getValue()));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("fixtures")
    void listsWhatPythonImportsFromTheFixtures(String name, Path file, JsonNode expected) throws IOException {
        ScanReport r = assertListsWhatPythonImports(file, expected);
        if (name.startsWith("hostile/")) {
            assertEquals(Verdict.UNSAFE, r.verdict(), r.imports().toString());
        } else {
            // The fixtures torch wrote hold torch's, numpy's and Lightning's classes only.
            assertEquals(Verdict.CLEAN, r.verdict(), r.imports().toString());
        }
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("realModels")
    void listsWhatPythonImportsFromRealFiles(String name, Path file, JsonNode expected) throws IOException {
        assertEquals(Verdict.CLEAN, assertListsWhatPythonImports(file, expected).verdict());
    }

    private static ScanReport assertListsWhatPythonImports(Path file, JsonNode expected) throws IOException {
        ScanReport r = ModelScanner.scan(file);
        Map<String, List<String>> want = new LinkedHashMap<>();
        expected.fields().forEachRemaining(e -> {
            List<String> names = new ArrayList<>();
            e.getValue().forEach(pair -> names.add(pair.get(0).asText() + "." + pair.get(1).asText()));
            want.put(e.getKey(), names);
        });
        Map<String, List<String>> got = new LinkedHashMap<>();
        for (String record : r.records()) {
            got.put(record, new ArrayList<>());
        }
        for (PickleImport i : r.imports()) {
            got.get(i.record()).add(i.qualifiedName());
        }
        assertEquals(want, got);
        return r;
    }

    @Test
    void classifiesTheHostileFixtures() throws IOException {
        Map<String, List<String>> dangerous = Map.of(
                "os-system_p0.pkl", List.of("posix.system"),
                "builtins-eval_p2.pkl", List.of("__builtin__.eval"),
                "builtins-exec_p4.pkl", List.of("builtins.exec"),
                "getattr-import_p4.pkl", List.of("builtins.getattr", "builtins.__import__"),
                "hidden-in-dict_p2.pkl", List.of("posix.system"),
                "torch-zip-os-system.pt", List.of("posix.system"),
                "torch-legacy-os-system.pt", List.of("posix.system"));
        for (Map.Entry<String, List<String>> e : dangerous.entrySet()) {
            ScanReport r = ModelScanner.scan(TestFiles.testdata("hostile/" + e.getKey()));
            assertEquals(e.getValue(), r.imports(ImportSafety.DANGEROUS).stream().map(PickleImport::qualifiedName).toList(),
                    e.getKey());
            // The torch files are otherwise sound; a plain pickle is read as one.
            assertEquals(List.of(), r.problems(), e.getKey());
            assertEquals(e.getKey().endsWith(".pt") ? e.getKey().contains("zip") ? "PyTorch checkpoint (zip)"
                    : "PyTorch checkpoint (legacy)" : "pickle", r.container(), e.getKey());
        }
        ScanReport zip = ModelScanner.scan(TestFiles.testdata("hostile/torch-zip-os-system.pt"));
        assertEquals(ModelFormat.TORCH_ZIP, zip.format());
        assertEquals("torch-zip-os-system/data.pkl", zip.imports(ImportSafety.DANGEROUS).get(0).record());
        ScanReport legacy = ModelScanner.scan(TestFiles.testdata("hostile/torch-legacy-os-system.pt"));
        assertEquals(ModelFormat.TORCH_LEGACY, legacy.format());
        assertEquals("pickle 4", legacy.imports(ImportSafety.DANGEROUS).get(0).record());
        assertEquals(List.of("pickle 1", "pickle 2", "pickle 3", "pickle 4", "pickle 5"), legacy.records());
    }

    @Test
    void theReaderRefusesWhatScanFindsDangerous() throws IOException {
        for (String name : List.of("torch-zip-os-system.pt", "torch-legacy-os-system.pt", "os-system_p4.pkl")) {
            UnsafeModelException e = assertThrows(UnsafeModelException.class,
                    () -> ModelFile.open(TestFiles.testdata("hostile/" + name)).close(), name);
            assertEquals("posix.system", e.dangerousImport().qualifiedName());
        }
    }

    @Test
    void reportsADangerousImportBeforeGarbage() throws IOException {
        byte[] evil = Files.readAllBytes(TestFiles.testdata("hostile/os-system_p2.pkl"));
        // Keep PROTO and the GLOBAL line, then bytes no pickle has.
        int afterGlobal = new String(evil, java.nio.charset.StandardCharsets.ISO_8859_1).indexOf("system\n") + 7;
        byte[] garbled = Arrays.copyOf(evil, afterGlobal + 3);
        garbled[afterGlobal] = (byte) 0xff;
        Path file = Files.write(dir.resolve("garbled.ckpt"), ZipBuilder.checkpoint(garbled));
        ScanReport r = ModelScanner.scan(file);
        assertEquals(Verdict.UNSAFE, r.verdict());
        assertEquals(List.of("posix.system"), r.imports(ImportSafety.DANGEROUS).stream().map(PickleImport::qualifiedName).toList());
        assertEquals(List.of("archive/data.pkl: invalid pickle opcode 0xff at byte " + afterGlobal
                + " (CPython fails too: invalid load key)"), r.problems().stream().map(ScanReport.Problem::message).toList());
        assertFalse(r.complete());
    }

    @Test
    void scansEveryPickleRecordOfAZip() throws IOException {
        byte[] clean = PickleBuilder.protocol(2).op('}').stop().bytes();
        byte[] evil = PickleBuilder.protocol(2).call("subprocess", "check_output", "ls").stop().bytes();
        Path file = Files.write(dir.resolve("two.ckpt"), new ZipBuilder().add("archive/data.pkl", clean)
                .add("archive/extra/constants.pkl", evil).add("archive/version", "3\n".getBytes()).bytes());
        ScanReport r = ModelScanner.scan(file);
        assertEquals(List.of("archive/data.pkl", "archive/extra/constants.pkl"), r.records());
        assertEquals("archive/extra/constants.pkl", r.imports(ImportSafety.DANGEROUS).get(0).record());
        assertEquals(Verdict.UNSAFE, r.verdict());
    }

    @Test
    void findsAnImportInAnyPickleOfALegacyFile() throws IOException {
        // The system-info pickle is the third; torch never puts a class there, a hostile file may.
        Path file = Files.write(dir.resolve("sysinfo.pt"), HostileFiles.all().stream()
                .filter(c -> c.name().contains("system-info")).findFirst().orElseThrow().content());
        ScanReport r = ModelScanner.scan(file);
        assertEquals("pickle 3", r.imports(ImportSafety.DANGEROUS).get(0).record());
        assertEquals("os.system", r.imports(ImportSafety.DANGEROUS).get(0).qualifiedName());
    }

    @Test
    void aComputedImportIsDangerous() throws IOException {
        // STACK_GLOBAL of str('posix') and 'system': the module is the result of a call.
        byte[] pkl = PickleBuilder.protocol(4).call("builtins", "str", "posix").string("system").op(0x93).stop().bytes();
        ScanReport r = ModelScanner.scan(Files.write(dir.resolve("computed.ckpt"), ZipBuilder.checkpoint(pkl)));
        assertEquals(List.of("builtins.str", PickleImport.COMPUTED),
                r.imports().stream().map(PickleImport::qualifiedName).toList());
        assertEquals(ImportSafety.DANGEROUS, r.imports().get(1).safety());
    }

    @Test
    void importsThroughTheMemoAreResolved() throws IOException {
        // Protocol 4 memoizes module strings and fetches them again for later STACK_GLOBALs.
        byte[] pkl = PickleBuilder.protocol(4).string("posix").put(0).string("getcwd").op(0x93).op('0')
                .get(0).string("system").op(0x93).stop().bytes();
        ScanReport r = ModelScanner.scan(Files.write(dir.resolve("memo.ckpt"), ZipBuilder.checkpoint(pkl)));
        assertEquals(List.of("posix.getcwd", "posix.system"), r.imports().stream().map(PickleImport::qualifiedName).toList());
    }

    @Test
    void anImportOutsideTheAllowListIsUnsafeUnlessOnlyTheDenyListCounts() throws IOException {
        byte[] pkl = PickleBuilder.protocol(2).op('}').string("model").global("__main__", "MyModel").op(')').op('R')
                .op('s').stop().bytes();
        ScanReport r = ModelScanner.scan(Files.write(dir.resolve("unknown.ckpt"), ZipBuilder.checkpoint(pkl)));
        assertEquals(Verdict.UNSAFE, r.verdict());
        assertEquals(Verdict.CLEAN, r.verdict(ScanReport.Mode.DENY_LIST));
        assertEquals(1, r.imports(ImportSafety.NOT_ALLOWED).size());
    }

    @Test
    void safetensorsHasNoImportsAndIsValidated() throws IOException {
        ScanReport good = ModelScanner.scan(TestFiles.testdata("safetensors/reference/names.safetensors"));
        assertEquals(ModelFormat.SAFETENSORS, good.format());
        assertEquals(Verdict.CLEAN, good.verdict());
        assertEquals(List.of(), good.records());
        Path bad = Files.write(dir.resolve("bad.safetensors"), HostileFiles.safetensors(1L << 62, "{}", new byte[0]));
        ScanReport r = ModelScanner.scan(bad);
        assertEquals(Verdict.UNREADABLE, r.verdict());
        assertEquals(1, r.problems().size());
    }

    @Test
    void aFileOfNoKnownFormatIsUnreadable() throws IOException {
        ScanReport r = ModelScanner.scan(Files.write(dir.resolve("page.ckpt"), "<html><body></body></html>".getBytes()));
        assertNull(r.format());
        assertEquals(Verdict.UNREADABLE, r.verdict());
        assertThrows(NoSuchFileException.class, () -> ModelScanner.scan(dir.resolve("missing.ckpt")));
    }

    @Test
    void aTorchFileWhosePicklesReadButWhoseStoragesDoNotIsUnreadable() throws IOException {
        byte[] pkl = PickleBuilder.protocol(2).op('}').string("w").floatTensor("0", 4).op('s').stop().bytes();
        Path file = Files.write(dir.resolve("nostorage.ckpt"), ZipBuilder.checkpoint(pkl));
        ScanReport r = ModelScanner.scan(file);
        assertEquals(Verdict.UNREADABLE, r.verdict());
        assertEquals(List.of("the pickle refers to storage '0' but the archive has no record archive/data/0"),
                r.problems().stream().map(ScanReport.Problem::message).toList());
        assertEquals(3, r.imports().size());
    }
}
