// The driver entry point: importing it registers the built-in drivers.
import './local'
import './s3'

export { loadDriver, openPool, registerDriver } from './registry'
