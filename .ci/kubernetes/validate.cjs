#!/usr/bin/env node
// Validates Kubernetes manifests offline, in three passes over every YAML document:
//  1. YAML: parse errors and duplicate keys (yaml);
//  2. the Kubernetes OpenAPI schema (kubernetes-models' validators): types, required fields,
//     formats such as quantities, for each document's apiVersion and kind;
//  3. unknown fields and enum values: the schema allows any extra property, so a misspelled one
//     (readinesProbe) would pass and the API server would drop it or refuse it. TypeScript checks
//     each document as an object literal of kubernetes-models' types, which refuses both.
// Then a few rules of spanlinks' own, across the documents of one folder (see crossCheck).
//
//   node validate.cjs DIR...                 every *.yaml under DIR (or a file), as one set; exit 1
//                                            if any is invalid
//   node validate.cjs --expect-invalid DIR   each file on its own must be refused, with the text
//                                            of its "# expect: ..." line among the errors
"use strict";
const fs = require("fs");
const path = require("path");
const YAML = require("yaml");
const ts = require("typescript");

function yamlFiles(dir) {
  if (fs.statSync(dir).isFile()) return [dir];
  return fs
    .readdirSync(dir, { withFileTypes: true })
    .flatMap((entry) => {
      const file = path.join(dir, entry.name);
      if (entry.isDirectory()) return yamlFiles(file);
      return /\.ya?ml$/.test(entry.name) ? [file] : [];
    })
    .sort();
}

/** The documents of the files, each {file, index, obj}; YAML problems go to errors. */
function parse(files, errors) {
  const docs = [];
  for (const file of files) {
    YAML.parseAllDocuments(fs.readFileSync(file, "utf8"), { uniqueKeys: true }).forEach(
      (doc, index) => {
        for (const problem of [...doc.errors, ...doc.warnings]) {
          errors.push(`${file} (document ${index + 1}): YAML: ${problem.message}`);
        }
        const obj = doc.errors.length ? null : doc.toJS();
        if (obj !== null && obj !== undefined) docs.push({ file, index, obj });
      },
    );
  }
  return docs;
}

function label(doc) {
  const name = doc.obj.metadata && doc.obj.metadata.name;
  return `${doc.file} (document ${doc.index + 1}, ${doc.obj.kind}/${name})`;
}

/** Pass 2: each document against the schema of its apiVersion and kind. */
function checkSchema(docs, errors) {
  return docs.filter((doc) => {
    const { apiVersion, kind } = doc.obj;
    let Model;
    try {
      Model = require(`kubernetes-models/${apiVersion}/${kind}`)[kind];
    } catch (e) {
      Model = undefined;
    }
    if (typeof Model !== "function") {
      errors.push(`${label(doc)}: unknown apiVersion/kind ${apiVersion}/${kind}`);
      return false;
    }
    try {
      new Model(doc.obj).validate();
    } catch (e) {
      errors.push(`${label(doc)}: schema: ${e.message}`);
    }
    return true;
  });
}

/** Pass 3: unknown fields and enum values, by type-checking the documents as TypeScript. */
function checkFields(docs, errors) {
  const lines = [];
  const owners = [];
  docs.forEach((doc, i) => {
    const { apiVersion, kind } = doc.obj;
    lines.push(`import type { I${kind} as T${i} } from "kubernetes-models/${apiVersion}/${kind}";`);
    owners.push(null);
  });
  docs.forEach((doc, i) => {
    const json = `export const d${i}: T${i} = ${JSON.stringify(doc.obj, null, 2)};`.split("\n");
    json.forEach((line) => {
      lines.push(line);
      owners.push(doc);
    });
  });
  const virtual = path.join(__dirname, "manifests.ts");
  const source = lines.join("\n");
  const options = {
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    types: [],
    lib: ["lib.es2020.d.ts"],
    module: ts.ModuleKind.CommonJS,
    moduleResolution: ts.ModuleResolutionKind.Node10,
  };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.getSourceFile = (file, version, ...rest) =>
    file === virtual
      ? ts.createSourceFile(file, source, version)
      : getSourceFile.call(host, file, version, ...rest);
  host.fileExists = (file) => file === virtual || fileExists.call(host, file);
  host.readFile = (file) => (file === virtual ? source : readFile.call(host, file));
  const program = ts.createProgram([virtual], options, host);
  for (const d of ts.getPreEmitDiagnostics(program)) {
    const message = ts.flattenDiagnosticMessageText(d.messageText, " ");
    if (!d.file || d.file.fileName !== virtual) {
      errors.push(`TypeScript: ${message}`);
      continue;
    }
    const { line } = d.file.getLineAndCharacterOfPosition(d.start);
    const owner = owners[line];
    const where = owner ? label(owner) : "manifests";
    errors.push(`${where}: field: ${message} (at ${lines[line].trim()})`);
  }
}

/** The keys of a Java properties text: comments, continuation lines, "=", ":" or a space. */
function properties(text) {
  const result = {};
  const logical = text.replace(/\\\r?\n[ \t\f]*/g, "");
  for (const raw of logical.split(/\r?\n/)) {
    const line = raw.replace(/^[ \t\f]+/, "");
    if (!line || line.startsWith("#") || line.startsWith("!")) continue;
    const match = /^([^=:\s]+)\s*[=:\s]\s*(.*)$/.exec(line);
    if (match) result[match[1]] = match[2];
  }
  return result;
}

function matches(selector, labels) {
  return Object.entries(selector || {}).every(([key, value]) => (labels || {})[key] === value);
}

/**
 * spanlinks' own rules across a folder: every Service and PodDisruptionBudget selects the
 * StatefulSet's pods; its serviceName is a headless Service of the set; the ConfigMaps and Secrets
 * it mounts are in the set; state.dir lies on a volumeClaimTemplate; the termination grace period
 * outlasts spanlinks.close.timeout.ms plus the 10 s telemetry flush.
 */
function crossCheck(docs, errors) {
  const of = (kind) => docs.filter((doc) => doc.obj.kind === kind);
  const named = (kind, name) => of(kind).find((doc) => doc.obj.metadata.name === name);
  for (const set of of("StatefulSet")) {
    const fail = (message) => errors.push(`${label(set)}: ${message}`);
    const spec = set.obj.spec;
    const pod = spec.template.spec;
    const podLabels = spec.template.metadata && spec.template.metadata.labels;
    if (!matches(spec.selector.matchLabels, podLabels)) fail("selector does not match the pod labels");
    for (const other of [...of("Service"), ...of("PodDisruptionBudget")]) {
      const selector = other.obj.spec.selector;
      const matchLabels = other.obj.kind === "Service" ? selector : selector && selector.matchLabels;
      if (!matches(matchLabels, podLabels)) errors.push(`${label(other)}: selects no pod of ${label(set)}`);
    }
    const service = named("Service", spec.serviceName);
    if (!service || service.obj.spec.clusterIP !== "None") {
      fail(`serviceName ${spec.serviceName} is not a headless Service of this folder`);
    }
    for (const volume of pod.volumes || []) {
      if (volume.configMap && !named("ConfigMap", volume.configMap.name)) {
        fail(`volume ${volume.name}: no ConfigMap ${volume.configMap.name} in this folder`);
      }
      if (volume.secret && !named("Secret", volume.secret.secretName)) {
        fail(`volume ${volume.name}: no Secret ${volume.secret.secretName} in this folder`);
      }
    }
    const config = of("ConfigMap")
      .map((doc) => doc.obj.data && doc.obj.data["spanlinks.properties"])
      .find((text) => text !== undefined);
    if (config === undefined) {
      fail("no ConfigMap in this folder holds spanlinks.properties");
      continue;
    }
    const settings = properties(config);
    const closeSeconds = Number(settings["spanlinks.close.timeout.ms"] || 30000) / 1000;
    const grace = pod.terminationGracePeriodSeconds === undefined ? 30 : pod.terminationGracePeriodSeconds;
    if (!(grace > closeSeconds + 10)) {
      fail(
        `terminationGracePeriodSeconds ${grace} must exceed spanlinks.close.timeout.ms ` +
          `(${closeSeconds} s) + 10 s of telemetry flush`,
      );
    }
    const claims = new Set((spec.volumeClaimTemplates || []).map((claim) => claim.metadata.name));
    const stateDir = settings["state.dir"];
    const onClaim = pod.containers.some((container) =>
      (container.volumeMounts || []).some(
        (mount) =>
          claims.has(mount.name) &&
          stateDir !== undefined &&
          (stateDir + "/").startsWith(mount.mountPath.replace(/\/?$/, "/")),
      ),
    );
    if (!onClaim) fail(`state.dir ${stateDir} is not on a volumeClaimTemplate's mount`);
  }
}

function validate(files) {
  const errors = [];
  const docs = checkSchema(parse(files, errors), errors);
  checkFields(docs, errors);
  crossCheck(docs, errors);
  return { docs, errors };
}

function main(args) {
  if (args[0] === "--expect-invalid") {
    let failed = 0;
    const files = args.slice(1).flatMap(yamlFiles);
    for (const file of files) {
      const expect = /^# expect: (.+)$/m.exec(fs.readFileSync(file, "utf8"));
      const { errors } = validate([file]);
      const found = expect && errors.some((error) => error.includes(expect[1]));
      console.log(`${found ? "refused as expected" : "NOT REFUSED AS EXPECTED"}: ${file}`);
      if (!found) {
        failed++;
        console.log(`  expected an error with: ${expect ? expect[1] : "(no # expect: line)"}`);
        errors.forEach((error) => console.log(`  got: ${error}`));
      }
    }
    if (files.length === 0 || failed > 0) process.exit(1);
    return;
  }
  const files = args.flatMap(yamlFiles);
  const { docs, errors } = validate(files);
  errors.forEach((error) => console.error(error));
  if (files.length === 0 || errors.length > 0) {
    console.error(`${errors.length} error(s) in ${files.length} file(s)`);
    process.exit(1);
  }
  const versions = ["kubernetes-models", "typescript", "yaml"]
    .map((name) => `${name} ${require(`${name}/package.json`).version}`)
    .join(", ");
  console.log(`${docs.length} Kubernetes objects in ${files.length} files: valid (${versions})`);
}

main(process.argv.slice(2));
