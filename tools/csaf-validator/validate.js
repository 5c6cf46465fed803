// Validate CSAF 2.0 documents with secvisogram's csaf-validator-lib: the strict CSAF 2.0
// JSON schema test and every mandatory test (CSAF 2.0 section 6.1).
//
//   node validate.js < doc.json      one document; exit 0 valid, 1 invalid, 2 unreadable
//   node validate.js --serve         one JSON document per input line, one result per line
//
// Each result is {"isValid": bool, "errors": [{"test", "instancePath", "message"}]}.
// Only the library's own mandatory and schema tests are run (a fixed list, never input),
// so validate.js is used directly: validateStrict would also load the optional and
// informative tests (spell checking and more), which take most of the start-up time.
import readline from 'node:readline'
import validate from '@secvisogram/csaf-validator-lib/validate.js'
import * as mandatory from '@secvisogram/csaf-validator-lib/mandatoryTests.js'
import { csaf_2_0_strict } from '@secvisogram/csaf-validator-lib/schemaTests.js'

const TESTS = [csaf_2_0_strict, ...Object.values(mandatory)]

async function check(text) {
  let doc
  try {
    doc = JSON.parse(text)
  } catch (err) {
    return { isValid: false, unreadable: true, errors: [{ test: 'json', instancePath: '', message: String(err) }] }
  }
  const result = await validate(TESTS, doc)
  const errors = []
  for (const test of result.tests) {
    for (const e of test.errors) errors.push({ test: test.name, instancePath: e.instancePath, message: e.message })
  }
  return { isValid: result.isValid, errors }
}

if (process.argv.includes('--serve')) {
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity })
  for await (const line of lines) {
    if (!line.trim()) continue
    process.stdout.write(JSON.stringify(await check(line)) + '\n')
  }
} else {
  const chunks = []
  for await (const chunk of process.stdin) chunks.push(chunk)
  const result = await check(Buffer.concat(chunks).toString('utf8'))
  process.stdout.write(JSON.stringify(result) + '\n')
  process.exit(result.unreadable ? 2 : result.isValid ? 0 : 1)
}
