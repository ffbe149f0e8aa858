import { Subject } from 'rxjs';
import { naivePipeline } from './baselines/naive-rx.js';
import { Checker } from './lib/checker.js';
import { heapUsed, nextMacrotask } from './lib/util.js';
import { makeKeys } from './lib/workload.js';
const K = 100000;
const keys = makeKeys(K + 10000);
const checker = new Checker(keys, 16);
const h00 = heapUsed();
const source = new Subject<string>();
let err: unknown;
const sub = naivePipeline('group-coalesce', source, checker.noop(), 16).subscribe({ error: (e) => { err = e; } });
for (let i = K; i < K + 10000; i++) { checker.event(i); source.next(keys[i]!); }
while (checker.inFlight > 0 || checker.passes < 10000) await nextMacrotask();
const h0 = heapUsed();
console.log('warm groups', (h0 - h00) / 10000);
for (let i = 0; i < K; i++) { checker.event(i); source.next(keys[i]!); }
while (checker.inFlight > 0 || checker.passes < K + 10000) await nextMacrotask();
const h1 = heapUsed();
console.log('per key', (h1 - h0) / K, err, sub.closed);
